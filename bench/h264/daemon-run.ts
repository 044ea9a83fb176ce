import { writeFileSync } from 'node:fs';
import { type Browser } from 'playwright-core';
import { alignmentCheck, decodeErrors, ssimAgainstSource, type SsimResult, type StreamFormat } from './ssim.js';
import { measurePath, measureStalledPage, type Episode, type PathResult, type StalledPageResult, type ViewerPath } from './browser.js';
import { median } from '../stats.js';
import { daemonCpu, startDaemon, type DaemonSetup } from './daemon.js';
import { StallingLink } from './stalling-link.js';
import { BenchViewer, longestDecodableRun, type RecordedFrame } from './ws-viewer.js';

/** One daemon run of the H.264 profile: ws viewers, CPU, a recording for SSIM, a stalled viewer, Chromium. */

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
  /** The longest a stalled viewer's link stays stalled waiting for the daemon's first skip. */
  stallMaxSeconds: number;
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
  /** A ws viewer whose link stalled until the daemon skipped for it, then resumed. */
  stalled: StalledViewer;
  browser: { paths: PathResult[]; stalled: StalledPageResult[] };
}

const FIRST_FRAME_TIMEOUT_MS = 60_000;
const NEW_VIEWER_TRIES = 5;
/** After a stall: how long to wait for the skip to show at the viewer, then how long to watch it play on. */
const SKIP_SHOWS_TIMEOUT_MS = 15_000;
const AFTER_SKIP_SECONDS = 3;
/** Once the daemon skipped, stay stalled this much longer (well under the hub's stuck-viewer cut-off). */
const STALL_AFTER_SKIP_MS = 1000;

export interface StalledViewer {
  /** Stall → the daemon's first skip (its wscam_chunks_dropped_total): the lag a stalled viewer builds first. */
  stallSeconds: number;
  daemonSkipped: boolean;
  /** Capture → arrival, the worst frame (the backlog as it drains). */
  maxLatencyMs: number;
  gaps: number;
  nonKeyframeAfterGap: number;
  framesReceived: number;
  /** The daemon closed the viewer (its stuck-viewer rule). */
  closed: boolean;
  decodeErrors: number;
  decodeErrorLines: string[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
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

async function droppedChunks(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  const match = /^wscam_chunks_dropped_total (\d+)/m.exec(await response.text());
  return match ? Number(match[1]) : 0;
}

/** Stalls the link until the daemon has skipped for its viewers (at most maxSeconds), then resumes it. */
export async function stallEpisode(link: StallingLink, daemonPort: number, maxSeconds: number): Promise<Episode> {
  const before = await droppedChunks(daemonPort);
  const started = performance.now();
  link.stall();
  let daemonSkipped = false;
  try {
    while (performance.now() - started < maxSeconds * 1000) {
      await sleep(250);
      if ((await droppedChunks(daemonPort)) > before) {
        daemonSkipped = true;
        break;
      }
    }
    const stallSeconds = (performance.now() - started) / 1000;
    if (daemonSkipped) await sleep(STALL_AFTER_SKIP_MS);
    return { stallSeconds, daemonSkipped };
  } finally {
    link.resume();
  }
}

async function stalledViewer(
  link: StallingLink,
  daemonPort: number,
  maxSeconds: number,
  ffmpeg: string,
  format: StreamFormat,
  path: string,
): Promise<StalledViewer> {
  const viewer = new BenchViewer({ url: `ws://127.0.0.1:${link.port}/ws`, record: true });
  try {
    await waitFor(
      () => viewer.firstFrame !== undefined || viewer.error !== undefined,
      FIRST_FRAME_TIMEOUT_MS,
      'the stalled viewer’s first frame',
    );
    viewer.startWindow();
    const episode = await stallEpisode(link, daemonPort, maxSeconds);
    if (episode.daemonSkipped) {
      await waitFor(() => viewer.firstGapAt !== undefined || viewer.closed, SKIP_SHOWS_TIMEOUT_MS, 'the skip').catch(() => {});
    }
    await sleep(AFTER_SKIP_SECONDS * 1000);
    const window = viewer.endWindow();
    const firstKeyframe = viewer.recorded.findIndex((frame) => frame.keyframe);
    const decodable = firstKeyframe < 0 ? [] : viewer.recorded.slice(firstKeyframe);
    writeRecording(decodable, path);
    const decoded = decodable.length > 0 ? await decodeErrors(ffmpeg, path, format) : { errors: 0, lines: [] };
    return {
      ...episode,
      maxLatencyMs: window.maxLatencyMs,
      gaps: window.gaps,
      nonKeyframeAfterGap: window.nonKeyframeAfterGap,
      framesReceived: window.frames,
      closed: viewer.closed,
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

    progress(`${setup.codec}: new viewers, a stalled viewer`);
    const firstChunkMs = await newViewerTimes(url);
    const link = await StallingLink.open(daemon.port);
    const paths: PathResult[] = [];
    const stalledPages: StalledPageResult[] = [];
    let stalled: StalledViewer;
    try {
      const recordingPath = `${options.workDir}/${setup.codec}-stalled.${servedFormat}`;
      stalled = await stalledViewer(link, daemon.port, options.stallMaxSeconds, options.ffmpeg, servedFormat, recordingPath);
      if (options.browser) {
        const base = `http://127.0.0.1:${daemon.port}`;
        for (const path of options.browserPaths) {
          progress(`${setup.codec}: Chromium, ${path}`);
          paths.push(await measurePath(options.browser, base, path, options.seconds).catch((error: Error) => failedPath(path, error)));
          if (path === 'jpeg') continue;
          const episode = () => stallEpisode(link, daemon.port, options.stallMaxSeconds);
          const page = await measureStalledPage(options.browser, `http://127.0.0.1:${link.port}`, path, episode, AFTER_SKIP_SECONDS);
          stalledPages.push(page);
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
      stalled,
      browser: { paths, stalled: stalledPages },
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
    helloToPictureMs: null,
    framesDrawn: 0,
    decoderErrors: null,
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
