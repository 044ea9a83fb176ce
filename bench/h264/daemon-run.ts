import { writeFileSync } from 'node:fs';
import { type Browser } from 'playwright-core';
import { alignmentCheck, decodeErrors, ssimAgainstSource, type SsimResult, type StreamFormat } from './ssim.js';
import { measurePath, measureSlowViewer, type PathResult, type SlowViewerResult, type ViewerPath } from './browser.js';
import { daemonCpu, startDaemon, type DaemonSetup } from './daemon.js';
import { SlowLink } from './slow-link.js';
import { BenchViewer, longestDecodableRun, type RecordedFrame } from './ws-viewer.js';

/** One daemon run of the H.264 profile: ws viewers, CPU, a recording for SSIM, a throttled viewer, Chromium. */

export interface DaemonRunOptions {
  setup: DaemonSetup;
  ffmpeg: string;
  viewers: number;
  warmupSeconds: number;
  seconds: number;
  /** Paths to open in Chromium (none without a browser). */
  browser: Browser | undefined;
  browserPaths: ViewerPath[];
  workDir: string;
  /** How long a slow viewer is watched for the daemon's first skip. */
  slowMaxSeconds: number;
}

export interface DaemonRunResult {
  codec: 'jpeg' | 'h264';
  /** What the hello said the daemon serves on /ws (an H.264 config before H.264 capture exists says "jpeg"). */
  servedCodec: string;
  bytesPerViewerPerSecond: { mean: number; min: number; max: number };
  framesPerViewerPerSecond: number;
  viewerGaps: number;
  cpu: { daemonPerSecond: number; encoderPerSecond: number; totalPerSecond: number; perViewer: number; encoderProcesses: number };
  ssim:
    (SsimResult & { firstSourceFrame: number; alignment: { before: number; at: number; after: number; ok: boolean } }) | { error: string };
  /** ws: connect → first video chunk, and whether it was a keyframe. */
  firstChunkMs: { median: number; max: number; allKeyframes: boolean };
  /** A ws viewer behind a slow link (SLOW_LINK_SHARE of the stream's rate). */
  throttled: {
    linkBytesPerSecond: number;
    /** Link opened → first skipped frame (null: none within slowMaxSeconds), and the worst latency by then. */
    firstSkipSeconds: number | null;
    maxLatencyMs: number;
    gaps: number;
    nonKeyframeAfterGap: number;
    framesReceived: number;
    decodeErrors: number;
    decodeErrorLines: string[];
  };
  browser: { paths: PathResult[]; slow: SlowViewerResult[] };
}

const FIRST_FRAME_TIMEOUT_MS = 60_000;
const NEW_VIEWER_TRIES = 5;
/**
 * A slow viewer's link carries this share of the stream's rate. The daemon skips only once the
 * kernel's send buffer (autotuned to megabytes on loopback) is full, so the wait for the first
 * skip is bounded by the run's slowMaxSeconds, then SLOW_AFTER_SKIP_SECONDS more are watched.
 */
const SLOW_LINK_SHARE = 0.1;
const SLOW_AFTER_SKIP_SECONDS = 4;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function writeRecording(frames: RecordedFrame[], path: string): void {
  writeFileSync(path, Buffer.concat(frames.map((frame) => frame.payload)));
}

/** New ws viewers one after another: connect → first video chunk. */
async function newViewerTimes(url: string): Promise<{ median: number; max: number; allKeyframes: boolean }> {
  const times: number[] = [];
  let allKeyframes = true;
  for (let attempt = 0; attempt < NEW_VIEWER_TRIES; attempt++) {
    const viewer = new BenchViewer({ url });
    try {
      await waitFor(
        () => viewer.firstFrame !== undefined || viewer.error !== undefined,
        FIRST_FRAME_TIMEOUT_MS,
        'a new viewer’s first frame',
      );
      if (!viewer.firstFrame) throw new Error(`new viewer: ${viewer.error}`);
      times.push(viewer.firstFrame.at - viewer.connectedAt);
      allKeyframes &&= viewer.firstFrame.keyframe;
    } finally {
      viewer.close();
    }
    // Spread the tries over the GOP instead of always landing at the same point in it.
    await sleep(337);
  }
  return { median: median(times), max: Math.max(...times), allKeyframes };
}

async function throttledViewer(
  link: SlowLink,
  maxSeconds: number,
  ffmpeg: string,
  format: StreamFormat,
  path: string,
): Promise<DaemonRunResult['throttled']> {
  const viewer = new BenchViewer({ url: `ws://127.0.0.1:${link.port}/ws`, record: true });
  try {
    await waitFor(
      () => viewer.firstFrame !== undefined || viewer.error !== undefined,
      FIRST_FRAME_TIMEOUT_MS,
      'the throttled viewer’s first frame',
    );
    viewer.startWindow();
    const opened = performance.now();
    await waitFor(() => viewer.firstGapAt !== undefined, maxSeconds * 1000, 'a skip').catch(() => {});
    if (viewer.firstGapAt !== undefined) await sleep(SLOW_AFTER_SKIP_SECONDS * 1000);
    const window = viewer.endWindow();
    const decodable = viewer.recorded.slice(
      Math.max(
        0,
        viewer.recorded.findIndex((frame) => frame.keyframe),
      ),
    );
    writeRecording(decodable, path);
    const decoded = await decodeErrors(ffmpeg, path, format);
    return {
      linkBytesPerSecond: link.bytesPerSecond,
      firstSkipSeconds: viewer.firstGapAt === undefined ? null : (viewer.firstGapAt - opened) / 1000,
      maxLatencyMs: window.maxLatencyMs,
      gaps: window.gaps,
      nonKeyframeAfterGap: window.nonKeyframeAfterGap,
      framesReceived: window.frames,
      decodeErrors: decoded.errors,
      decodeErrorLines: decoded.lines,
    };
  } finally {
    viewer.close();
  }
}

export async function daemonRun(options: DaemonRunOptions, progress: (text: string) => void): Promise<DaemonRunResult> {
  const { setup } = options;
  const daemon = await startDaemon(setup);
  const url = `ws://127.0.0.1:${daemon.port}/ws`;
  const viewers: BenchViewer[] = [];
  try {
    for (let index = 0; index < options.viewers; index++) viewers.push(new BenchViewer({ url, record: index === 0 }));
    await Promise.all(viewers.map((viewer) => viewer.opened));
    await waitFor(() => viewers.every((viewer) => viewer.firstFrame !== undefined), FIRST_FRAME_TIMEOUT_MS, 'every viewer’s first frame');
    const servedCodec = viewers[0]!.hello?.video.codec ?? 'none';
    const servedFormat: StreamFormat = servedCodec === 'h264' ? 'h264' : 'mjpeg';
    progress(
      `${setup.codec}: daemon serves ${servedCodec}; ${options.viewers} viewers, ${options.warmupSeconds} s warm-up, ${options.seconds} s measured`,
    );
    await sleep(options.warmupSeconds * 1000);
    const cpuStart = daemonCpu(daemon.pid);
    const startedAt = performance.now();
    for (const viewer of viewers) viewer.startWindow();
    await sleep(options.seconds * 1000);
    const windows = viewers.map((viewer) => viewer.endWindow());
    const cpuEnd = daemonCpu(daemon.pid);
    const wallSeconds = (performance.now() - startedAt) / 1000;
    const recording = viewers[0]!.recorded.splice(0);
    for (const viewer of viewers) viewer.close();

    const encoderSeconds = [...cpuEnd.children].reduce((sum, [pid, seconds]) => sum + seconds - (cpuStart.children.get(pid) ?? 0), 0);
    const daemonPerSecond = (cpuEnd.daemon - cpuStart.daemon) / wallSeconds;
    const encoderPerSecond = encoderSeconds / wallSeconds;
    const rates = windows.map((window) => window.wireBytes / window.seconds);

    progress(`${setup.codec}: new viewers, a viewer on a slow link`);
    const firstChunkMs = await newViewerTimes(url);
    const meanRate = rates.reduce((a, b) => a + b, 0) / rates.length;
    const link = await SlowLink.open(daemon.port, meanRate * SLOW_LINK_SHARE);
    const paths: PathResult[] = [];
    const slow: SlowViewerResult[] = [];
    let throttled: DaemonRunResult['throttled'];
    try {
      throttled = await throttledViewer(
        link,
        options.slowMaxSeconds,
        options.ffmpeg,
        servedFormat,
        `${options.workDir}/${setup.codec}-throttled.${servedFormat}`,
      );
      if (options.browser) {
        const base = `http://127.0.0.1:${daemon.port}`;
        for (const path of options.browserPaths) {
          progress(`${setup.codec}: Chromium, ${path}`);
          paths.push(await measurePath(options.browser, base, path, options.seconds).catch((error: Error) => failedPath(path, error)));
          if (path === 'jpeg') continue;
          const slowBase = `http://127.0.0.1:${link.port}`;
          slow.push(
            await measureSlowViewer(options.browser, slowBase, path, options.slowMaxSeconds, SLOW_AFTER_SKIP_SECONDS).catch(
              (error: Error) => failedSlow(path, error),
            ),
          );
        }
      }
    } finally {
      await link.close();
    }
    await daemon.stop();

    progress(`${setup.codec}: SSIM of ${recording.length} received frames`);
    const ssim = await recordingSsim(options, servedFormat, recording);
    return {
      codec: setup.codec,
      servedCodec,
      bytesPerViewerPerSecond: { mean: rates.reduce((a, b) => a + b, 0) / rates.length, min: Math.min(...rates), max: Math.max(...rates) },
      framesPerViewerPerSecond: median(windows.map((window) => window.frames / window.seconds)),
      viewerGaps: windows.reduce((sum, window) => sum + window.gaps, 0),
      cpu: {
        daemonPerSecond,
        encoderPerSecond,
        totalPerSecond: daemonPerSecond + encoderPerSecond,
        perViewer: (daemonPerSecond + encoderPerSecond) / options.viewers,
        encoderProcesses: cpuEnd.children.size,
      },
      ssim,
      firstChunkMs,
      throttled,
      browser: { paths, slow },
    };
  } finally {
    for (const viewer of viewers) viewer.close();
    await daemon.stop();
  }
}

function failedPath(path: ViewerPath, error: Error): PathResult {
  return {
    path,
    reportedPath: null,
    latencyMs: null,
    firstPictureMs: null,
    framesDrawn: 0,
    decoderErrors: null,
    error: error.message.split('\n')[0]!,
  };
}

function failedSlow(path: ViewerPath, error: Error): SlowViewerResult {
  return {
    path,
    seconds: 0,
    firstSkipSeconds: null,
    sequenceGaps: null,
    decoderErrors: null,
    framesDrawn: 0,
    error: error.message.split('\n')[0]!,
  };
}

/** SSIM of the recording viewer's longest decodable run; its first sequence is its source frame (capture ran from frame 0). */
async function recordingSsim(
  options: DaemonRunOptions,
  format: StreamFormat,
  recording: RecordedFrame[],
): Promise<DaemonRunResult['ssim']> {
  const run = longestDecodableRun(recording);
  if (run.length === 0) return { error: 'no decodable run recorded' };
  const file = `${options.workDir}/${options.setup.codec}-received.${format}`;
  writeRecording(run, file);
  const job = { ffmpeg: options.ffmpeg, file, format, ...options.setup, firstSourceFrame: run[0]!.sequence };
  const alignment = await alignmentCheck(job);
  const ssim = await ssimAgainstSource(job);
  return { ...ssim, firstSourceFrame: job.firstSourceFrame, alignment };
}
