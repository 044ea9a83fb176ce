import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { h264EncodeArgs, qualityToQscale } from '../../src/capture/process/ffmpeg-args.js';
import type { Config } from '../../src/config/schema.js';
import { cameraInput } from './camera-graph.js';
import { runFfmpegOk } from './ffmpeg-run.js';
import { ssimAgainstSource, type SsimResult, type StreamFormat } from './ssim.js';

/**
 * The plain-ffmpeg side of the H.264 profile: the camera graph encoded straight to a file, without
 * the daemon, as MJPEG at wscam's video.quality and as libx264 with the daemon's own encoder
 * arguments at a bitrate, for bytes, SSIM and the encoder's own CPU. It also finds the bitrate at which H.264 matches MJPEG's SSIM.
 */

export interface Clip {
  width: number;
  height: number;
  fps: number;
  frames: number;
}

export type Encoding = { codec: 'mjpeg'; quality: number } | { codec: 'h264'; bitrateKbps: number };

export interface ReferenceResult {
  encoding: Encoding;
  bytesPerSecond: number;
  ssim: SsimResult;
  /** ffmpeg's own user+sys CPU per second of video, the source graph's cost taken out. */
  encodeCpuPerSecond: number;
}

const ENCODE_TIMEOUT_MS = 600_000;
/** Bisection steps of the equal-SSIM search. */
const SEARCH_STEPS = 6;

/** wscam's MJPEG encoding (src/capture/process/ffmpeg-args.ts) at a video.quality. */
export function mjpegEncodeArgs(quality: number): string[] {
  return ['-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(qualityToQscale(quality))];
}

function formatOf(encoding: Encoding): StreamFormat {
  return encoding.codec === 'mjpeg' ? 'mjpeg' : 'h264';
}

/** ffmpeg -benchmark's "bench: utime=…s stime=…s" as CPU seconds. */
function benchmarkCpu(stderr: string): number {
  const match = /bench: utime=([\d.]+)s stime=([\d.]+)s/.exec(stderr);
  if (!match) throw new Error(`ffmpeg -benchmark printed no times: ${stderr.slice(-500)}`);
  return Number(match[1]) + Number(match[2]);
}

async function encode(ffmpeg: string, clip: Clip, codecArgs: string[], out: string[]): Promise<number> {
  const input = cameraInput(clip.width, clip.height, clip.fps, false);
  const run = await runFfmpegOk(
    ffmpeg,
    ['-nostats', '-benchmark', ...input, '-frames:v', String(clip.frames), '-an', ...codecArgs, ...out],
    ENCODE_TIMEOUT_MS,
    'reference encode',
  );
  return benchmarkCpu(run.stderr);
}

/** CPU of generating the clip alone, to take out of each encode's. */
export function sourceCpu(ffmpeg: string, clip: Clip): Promise<number> {
  return encode(ffmpeg, clip, ['-pix_fmt', 'yuv420p'], ['-f', 'null', '-']);
}

/** The daemon's video config (parsed), whose H.264 encoder arguments the references use. */
export type VideoConfig = Config['video'];

export async function encodeReference(
  ffmpeg: string,
  clip: Clip,
  video: VideoConfig,
  encoding: Encoding,
  sourceCpuSeconds: number,
): Promise<ReferenceResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wscam-h264-ref-'));
  const file = join(dir, `clip.${formatOf(encoding)}`);
  try {
    const codecArgs =
      encoding.codec === 'mjpeg'
        ? mjpegEncodeArgs(encoding.quality)
        : h264EncodeArgs({ ...video, bitrateKbps: encoding.bitrateKbps }, 'libx264');
    const cpu = await encode(ffmpeg, clip, codecArgs, ['-f', formatOf(encoding), '-y', file]);
    const seconds = clip.frames / clip.fps;
    const ssim = await ssimAgainstSource({ ffmpeg, file, format: formatOf(encoding), ...clip, firstSourceFrame: 0 });
    return {
      encoding,
      bytesPerSecond: statSync(file).size / seconds,
      ssim,
      encodeCpuPerSecond: Math.max(0, cpu - sourceCpuSeconds) / seconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The lowest bitrate (kbit/s, within the search's resolution) whose SSIM is within `tolerance`
 * of `targetSsim`, by bisection between `lowKbps` and `highKbps`; every step is kept.
 */
export async function equalSsimBitrate(
  ffmpeg: string,
  clip: Clip,
  video: VideoConfig,
  targetSsim: number,
  tolerance: number,
  range: { lowKbps: number; highKbps: number },
  sourceCpuSeconds: number,
): Promise<{ bitrateKbps: number | null; steps: ReferenceResult[] }> {
  const steps: ReferenceResult[] = [];
  let low = range.lowKbps;
  let high = range.highKbps;
  let best: number | null = null;
  for (let step = 0; step < SEARCH_STEPS; step++) {
    const middle = Math.round((low + high) / 2);
    const result = await encodeReference(ffmpeg, clip, video, { codec: 'h264', bitrateKbps: middle }, sourceCpuSeconds);
    steps.push(result);
    if (result.ssim.all >= targetSsim - tolerance) {
      best = middle;
      high = middle;
    } else {
      low = middle;
    }
  }
  return { bitrateKbps: best, steps };
}
