import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveFfmpeg } from '../../src/capture/process/ffmpeg-path.js';
import { h264BitrateKbps } from '../../src/capture/process/h264-encoder.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { packagePath } from '../../src/package-root.js';
import { CHROMIUM, launchChromium, type ViewerPath } from './browser.js';
import { daemonConfig, type DaemonSetup } from './daemon.js';
import { daemonRun, type DaemonRunResult } from './daemon-run.js';
import { encodeReference, equalSsimBitrate, sourceCpu, type ReferenceResult } from './reference.js';
import { h264Targets, printReport } from './report.js';

/**
 * `npm run bench -- --codec h264`: H.264 against MJPEG on issue #12's camera-like input — plain
 * ffmpeg references, then the daemon in each mode with real ws viewers and real Chromium.
 * What it measures and how: docs/h264.md.
 */

export interface H264Options {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  warmup: number;
  clients: number;
  quality: number;
  bitrateKbps: number | undefined;
  keyframeSeconds: number;
  /** Plain-ffmpeg reference clip length in frames. */
  referenceFrames: number;
  search: boolean;
  browser: boolean;
  stallMaxSeconds: number;
  out: string;
}

export interface H264Report {
  date: string;
  options: H264Options;
  loadAverage: { before: number; after: number };
  reference: { mjpeg: ReferenceResult; h264: ReferenceResult; equalSsim: { bitrateKbps: number | null; steps: ReferenceResult[] } | null };
  daemon: { jpeg: DaemonRunResult; h264: DaemonRunResult };
  targets: Array<{ target: string; value: string; met: boolean | null }>;
}

/** H.264's SSIM may be at most this far below MJPEG's for "equal quality" (#12). */
export const SSIM_TOLERANCE = 0.005;

function parseOptions(argv: string[]): H264Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      codec: { type: 'string' },
      size: { type: 'string', default: '1280x720' },
      fps: { type: 'string', default: '30' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      clients: { type: 'string', default: '5' },
      quality: { type: 'string', default: '80' },
      bitrate: { type: 'string' },
      'keyframe-seconds': { type: 'string', default: '1' },
      'reference-seconds': { type: 'string', default: '10' },
      'no-search': { type: 'boolean', default: false },
      'stall-seconds': { type: 'string', default: '60' },
      'no-browser': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const size = /^(\d+)x(\d+)$/.exec(values.size);
  if (!size) throw new Error('--size: WxH, e.g. 1280x720');
  const number = (name: string, text: string, min: number) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name}: a number ≥ ${min}`);
    return value;
  };
  const fps = number('fps', values.fps, 1);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    width: Number(size[1]),
    height: Number(size[2]),
    fps,
    seconds: number('seconds', values.seconds, 1),
    warmup: number('warmup', values.warmup, 0),
    clients: number('clients', values.clients, 1),
    quality: number('quality', values.quality, 1),
    bitrateKbps: values.bitrate === undefined ? undefined : number('bitrate', values.bitrate, 100),
    keyframeSeconds: number('keyframe-seconds', values['keyframe-seconds'], 0.2),
    referenceFrames: Math.round(number('reference-seconds', values['reference-seconds'], 1) * fps),
    search: !values['no-search'],
    browser: !values['no-browser'] && existsSync(CHROMIUM),
    stallMaxSeconds: number('stall-seconds', values['stall-seconds'], 1),
    out: values.out ? resolve(values.out) : packagePath('bench', 'results', `${stamp}-h264.json`),
  };
}

function progress(text: string): void {
  process.stderr.write(`[bench h264] ${text}\n`);
}

export async function runH264Profile(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  const ffmpeg = await resolveFfmpeg(null);
  if (!ffmpeg.ok) throw new Error(ffmpeg.error);
  const workDir = mkdtempSync(join(tmpdir(), 'wscam-bench-h264-'));
  const loadBefore = loadavg()[0]!;
  const browser = options.browser ? await launchChromium() : undefined;
  try {
    const base = {
      width: options.width,
      height: options.height,
      fps: options.fps,
      quality: options.quality,
      keyframeSeconds: options.keyframeSeconds,
    };
    const jpegSetup: DaemonSetup = { ...base, codec: 'jpeg', bitrateKbps: options.bitrateKbps };
    const h264Setup: DaemonSetup = { ...base, codec: 'h264', bitrateKbps: options.bitrateKbps };
    // The daemon's own config and bitrate (--bitrate, else its default for this size and rate).
    const video = ConfigSchema.parse(daemonConfig(h264Setup)).video;
    const bitrateKbps = h264BitrateKbps(video);

    const clip = { width: options.width, height: options.height, fps: options.fps, frames: options.referenceFrames };
    progress(
      `plain ffmpeg: ${clip.frames} frames of ${clip.width}x${clip.height}@${clip.fps}, MJPEG at quality ${options.quality}, libx264 at ${bitrateKbps} kbit/s`,
    );
    const sourceSeconds = await sourceCpu(ffmpeg.path, clip);
    const mjpeg = await encodeReference(ffmpeg.path, clip, video, { codec: 'mjpeg', quality: options.quality }, sourceSeconds);
    const h264 = await encodeReference(ffmpeg.path, clip, video, { codec: 'h264', bitrateKbps }, sourceSeconds);
    let equalSsim = null;
    if (options.search) {
      progress(`plain ffmpeg: the libx264 bitrate with SSIM within ${SSIM_TOLERANCE} of MJPEG's ${mjpeg.ssim.all.toFixed(4)}`);
      const mjpegKbps = (mjpeg.bytesPerSecond * 8) / 1000;
      equalSsim = await equalSsimBitrate(
        ffmpeg.path,
        clip,
        video,
        mjpeg.ssim.all,
        SSIM_TOLERANCE,
        { lowKbps: mjpegKbps / 100, highKbps: mjpegKbps / 2 },
        sourceSeconds,
      );
    }

    const run = (setup: DaemonSetup, paths: ViewerPath[]) =>
      daemonRun(
        {
          setup,
          ffmpeg: ffmpeg.path,
          viewers: options.clients,
          warmupSeconds: options.warmup,
          seconds: options.seconds,
          browser,
          browserPaths: paths,
          stallMaxSeconds: options.stallMaxSeconds,
          workDir,
        },
        progress,
      );
    const jpegRun = await run(jpegSetup, ['jpeg']);
    const h264Run = await run(h264Setup, ['webcodecs', 'mse', 'jpeg']);

    const report: H264Report = {
      date: new Date().toISOString(),
      options,
      loadAverage: { before: loadBefore, after: loadavg()[0]! },
      reference: { mjpeg, h264, equalSsim },
      daemon: { jpeg: jpegRun, h264: h264Run },
      targets: [],
    };
    report.targets = h264Targets(report);
    printReport(report, bitrateKbps);
    mkdirSync(join(options.out, '..'), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify({ node: process.version, ...report }, null, 2)}\n`);
    process.stdout.write(`\nJSON: ${options.out}\n`);
    return 0;
  } finally {
    await browser?.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}
