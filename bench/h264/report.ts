import type { PathResult, StalledPageResult } from './browser.js';
import type { DaemonRunResult } from './daemon-run.js';
import type { H264Report } from './profile.js';
import type { ReferenceResult } from './reference.js';

/** The H.264 profile's table on stdout and its targets (#12), MET / MISS / n/a. */

const TARGETS = {
  bytesFraction: 1 / 5,
  ssimTolerance: 0.005,
  webCodecsP50Ms: 60,
  mseP50Ms: 150,
  firstPictureSlackMs: 200,
};

type Target = H264Report['targets'][number];

const kbit = (bytesPerSecond: number) => `${((bytesPerSecond * 8) / 1000).toFixed(0)} kbit/s`;
const ms = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${value.toFixed(0)} ms`);

function ssimOf(run: DaemonRunResult): number | null {
  return 'error' in run.ssim ? null : run.ssim.all;
}

function pathOf(run: DaemonRunResult, path: PathResult['path']): PathResult | undefined {
  return run.browser.paths.find((result) => result.path === path);
}

/** The daemon's viewers: bytes per delivered frame at the source rate, so a capture that fell behind under load does not flatter either side. */
function daemonBytesTarget(report: H264Report): Target {
  const { jpeg, h264 } = report.daemon;
  const fps = report.options.fps;
  const atSourceRate = (run: DaemonRunResult) => (run.bytesPerViewerPerSecond.mean / Math.max(run.framesPerViewerPerSecond, 1e-9)) * fps;
  const target = `daemon, per ws viewer: H.264 ≤ 1/5 of MJPEG's bytes at equal SSIM (within ${TARGETS.ssimTolerance})`;
  if (h264.servedCodec !== 'h264') return { target, value: 'the daemon did not serve H.264', met: null };
  const h264Ssim = ssimOf(h264);
  const jpegSsim = ssimOf(jpeg);
  const ratio = atSourceRate(h264) / atSourceRate(jpeg);
  const equal = h264Ssim !== null && jpegSsim !== null && h264Ssim >= jpegSsim - TARGETS.ssimTolerance;
  return {
    target,
    value:
      `${kbit(atSourceRate(h264))} vs ${kbit(atSourceRate(jpeg))} at ${fps} fps (delivered ${h264.framesPerViewerPerSecond.toFixed(1)} / ${jpeg.framesPerViewerPerSecond.toFixed(1)} fps) ` +
      `= 1/${(1 / ratio).toFixed(1)}, SSIM ${h264Ssim?.toFixed(4) ?? '—'} vs ${jpegSsim?.toFixed(4) ?? '—'}`,
    met: ratio <= TARGETS.bytesFraction && equal,
  };
}

function latencyTarget(run: DaemonRunResult, path: 'webcodecs' | 'mse', limitMs: number, served: boolean): Target {
  const result = pathOf(run, path);
  const p50 = result?.latencyMs?.p50;
  const wrongPath = result?.reportedPath !== undefined && result.reportedPath !== null && result.reportedPath !== path;
  const measurable = served && p50 !== undefined && !wrongPath;
  const why = !served
    ? 'the daemon did not serve H.264'
    : !result
      ? 'no browser'
      : wrongPath
        ? `the page took ${result.reportedPath}`
        : (result.error ?? 'no samples');
  return {
    target: `displayed-frame latency p50 ≤ ${limitMs} ms via ${path === 'mse' ? 'MSE' : 'WebCodecs'} (Chromium, loopback)`,
    value: measurable ? `p50 ${ms(p50)}, p95 ${ms(result!.latencyMs!.p95)} (${result!.latencyMs!.count} frames)` : why,
    met: measurable ? p50 <= limitMs : null,
  };
}

/** The page's hello → first picture (what the stream decides); navigation → first picture (page load too) is shown beside it. */
function firstPictureTarget(run: DaemonRunResult, keyframeSeconds: number, served: boolean): Target {
  const limit = keyframeSeconds * 1000 + TARGETS.firstPictureSlackMs;
  const pages = (['webcodecs', 'mse'] as const).map((path) => pathOf(run, path)).filter((result) => result !== undefined);
  const worst = (values: Array<number | null>) => {
    const known = values.filter((value) => value !== null);
    return known.length ? Math.max(...known) : null;
  };
  const helloWorst = worst(pages.map((page) => page.helloToPictureMs));
  const navigationWorst = worst(pages.map((page) => page.firstPictureMs));
  const ws = run.firstChunkMs;
  const met = served ? ws.max <= limit && ws.allKeyframes && (helloWorst === null || helloWorst <= limit) : null;
  return {
    target: `a new viewer's first picture ≤ 1 keyframe interval + ${TARGETS.firstPictureSlackMs} ms (${limit} ms)`,
    value: served
      ? `ws connect → first keyframe median ${ms(ws.median)}, max ${ms(ws.max)}${ws.allKeyframes ? '' : ' (NOT always a keyframe)'}; ` +
        `Chromium hello → first picture worst ${ms(helloWorst)} (navigation → first picture ${ms(navigationWorst)})`
      : 'the daemon did not serve H.264',
    met,
  };
}

function decoderErrorTarget(run: DaemonRunResult, served: boolean): Target {
  const stalled = run.stalled;
  const pages = run.browser.stalled.filter((result) => result.decoderErrors !== null && result.daemonSkipped);
  const pageErrors = pages.reduce((sum, result) => sum + result.decoderErrors!, 0);
  const pageText = pages
    .map((result) => `; Chromium ${result.path}: ${result.sequenceGaps ?? '—'} skipped, ${result.decoderErrors} decoder errors`)
    .join('');
  const skipped = stalled.gaps > 0 || pages.some((result) => (result.sequenceGaps ?? 0) > 0);
  const clean = stalled.nonKeyframeAfterGap === 0 && stalled.decodeErrors === 0 && pageErrors === 0;
  return {
    target: '0 decoder errors across a slow viewer’s skips',
    value: served
      ? `stalled ws viewer: ${stalled.gaps} skipped, ${stalled.nonKeyframeAfterGap} resumed on a non-keyframe, ffmpeg decode errors ${stalled.decodeErrors}${pageText}`
      : 'the daemon did not serve H.264',
    met: served && skipped ? clean : null,
  };
}

/** Plain ffmpeg: at the lowest bitrate with equal SSIM, H.264's bytes against MJPEG's. */
function equalSsimTarget(report: H264Report): Target {
  const { mjpeg, equalSsim } = report.reference;
  const target = `plain ffmpeg: H.264 ≤ 1/5 of MJPEG's bytes at equal SSIM (within ${TARGETS.ssimTolerance})`;
  if (!equalSsim) return { target, value: 'not searched (--no-search)', met: null };
  const step = equalSsim.steps.find((result) => result.encoding.codec === 'h264' && result.encoding.bitrateKbps === equalSsim.bitrateKbps);
  if (!step)
    return {
      target,
      value: `no bitrate up to ${kbit(mjpeg.bytesPerSecond / 2)} reached SSIM ${(mjpeg.ssim.all - TARGETS.ssimTolerance).toFixed(4)}`,
      met: false,
    };
  const ratio = step.bytesPerSecond / mjpeg.bytesPerSecond;
  return {
    target,
    value: `${kbit(step.bytesPerSecond)} (SSIM ${step.ssim.all.toFixed(4)}) vs ${kbit(mjpeg.bytesPerSecond)} (SSIM ${mjpeg.ssim.all.toFixed(4)}) = 1/${(1 / ratio).toFixed(1)}`,
    met: ratio <= TARGETS.bytesFraction,
  };
}

export function h264Targets(report: H264Report): Target[] {
  const { h264 } = report.daemon;
  const served = h264.servedCodec === 'h264';
  return [
    equalSsimTarget(report),
    daemonBytesTarget(report),
    latencyTarget(h264, 'webcodecs', TARGETS.webCodecsP50Ms, served),
    latencyTarget(h264, 'mse', TARGETS.mseP50Ms, served),
    firstPictureTarget(h264, report.options.keyframeSeconds, served),
    decoderErrorTarget(h264, served),
  ];
}

function referenceLine(result: ReferenceResult): string {
  const what =
    result.encoding.codec === 'mjpeg' ? `MJPEG quality ${result.encoding.quality}` : `libx264 ${result.encoding.bitrateKbps} kbit/s`;
  return `  ${what.padEnd(26)} ${kbit(result.bytesPerSecond).padStart(13)}  SSIM ${result.ssim.all.toFixed(4)} (Y ${result.ssim.y.toFixed(4)}, worst frame ${result.ssim.min.toFixed(4)})  encode CPU ${result.encodeCpuPerSecond.toFixed(3)} s/s`;
}

function runLines(run: DaemonRunResult): string[] {
  const rate = run.bytesPerViewerPerSecond;
  const ssim =
    'error' in run.ssim
      ? `SSIM: ${run.ssim.error}`
      : `SSIM ${run.ssim.all.toFixed(4)} over ${run.ssim.frames} frames from source frame ${run.ssim.firstSourceFrame} (alignment ±1: ${run.ssim.alignment.before.toFixed(3)} / ${run.ssim.alignment.at.toFixed(3)} / ${run.ssim.alignment.after.toFixed(3)}${run.ssim.alignment.ok ? '' : ' NOT ALIGNED'})`;
  const lines = [
    `video.codec "${run.codec}" (served: ${run.servedCodec})`,
    `  per ws viewer: ${kbit(rate.mean)} (min ${kbit(rate.min)}, max ${kbit(rate.max)}), ${run.framesPerViewerPerSecond.toFixed(1)} fps, gaps ${run.viewerGaps}`,
    `  ${ssim}`,
    `  CPU s/s: daemon ${run.cpu.daemonPerSecond.toFixed(3)} + encoder ${run.cpu.encoderPerSecond.toFixed(3)} (${run.cpu.encoderProcesses} process) = ${run.cpu.totalPerSecond.toFixed(3)}, per viewer ${run.cpu.perViewer.toFixed(4)}`,
    `  new ws viewer → first frame: median ${ms(run.firstChunkMs.median)}, max ${ms(run.firstChunkMs.max)}, keyframe first: ${run.firstChunkMs.allKeyframes ? 'always' : 'NO'}`,
    `  ${stalledText(run.stalled)}`,
  ];
  for (const path of run.browser.paths) {
    const latency = path.latencyMs ? `p50 ${ms(path.latencyMs.p50)} p95 ${ms(path.latencyMs.p95)} (${path.latencyMs.count})` : '—';
    lines.push(
      `  Chromium ?video=${path.path} (page says ${path.reportedPath ?? '—'}): latency ${latency}, first picture ${ms(path.helloToPictureMs)} after hello (${ms(path.firstPictureMs)} after navigation), decoder errors ${path.decoderErrors ?? '—'}${path.error ? `, ${path.error}` : ''}`,
    );
  }
  for (const page of run.browser.stalled) lines.push(`  Chromium ${page.path}, link stalled: ${stalledPageText(page)}`);
  return lines;
}

function stallText(episode: { stallSeconds: number; daemonSkipped: boolean }): string {
  return episode.daemonSkipped
    ? `daemon's first skip after ${episode.stallSeconds.toFixed(1)} s`
    : `no skip by the daemon in ${episode.stallSeconds.toFixed(0)} s`;
}

function stalledText(stalled: DaemonRunResult['stalled']): string {
  return (
    `ws viewer, link stalled: ${stallText(stalled)}; latency reached ${ms(stalled.maxLatencyMs)}, ${stalled.framesReceived} frames, ` +
    `${stalled.gaps} skipped, resumed on non-keyframe ${stalled.nonKeyframeAfterGap}, ffmpeg decode errors ${stalled.decodeErrors}${stalled.closed ? ', CLOSED by the daemon' : ''}`
  );
}

function stalledPageText(result: StalledPageResult): string {
  if (result.error) return result.error;
  return `${stallText(result)}; ${result.sequenceGaps ?? '—'} skipped, waited for a keyframe over ${result.skippedForKeyframe ?? '—'}, decoder errors ${result.decoderErrors ?? '—'}, ${result.framesDrawnAfter} frames drawn after`;
}

export function printReport(report: H264Report, bitrateKbps: number): void {
  const { options, reference } = report;
  const lines = [
    `wscam bench --codec h264: ${options.width}x${options.height}@${options.fps}, camera-like lavfi graph, quality ${options.quality}, H.264 ${bitrateKbps} kbit/s, keyframe every ${options.keyframeSeconds} s`,
    `machine load average (1 min): ${report.loadAverage.before.toFixed(2)} before, ${report.loadAverage.after.toFixed(2)} after`,
    '',
    `plain ffmpeg, ${options.referenceFrames} frames:`,
    referenceLine(reference.mjpeg),
    referenceLine(reference.h264),
  ];
  if (reference.equalSsim) {
    lines.push(
      `  equal SSIM (within ${TARGETS.ssimTolerance} of MJPEG): ${reference.equalSsim.bitrateKbps === null ? 'not found in range' : `${reference.equalSsim.bitrateKbps} kbit/s`}; steps:`,
    );
    for (const step of reference.equalSsim.steps) lines.push(`  ${referenceLine(step)}`);
  }
  lines.push(
    '',
    `daemon, ${options.clients} ws viewers, ${options.seconds} s:`,
    ...runLines(report.daemon.jpeg),
    ...runLines(report.daemon.h264),
    '',
    'targets (#12):',
  );
  for (const target of report.targets)
    lines.push(`  ${target.met === null ? 'n/a ' : target.met ? 'MET ' : 'MISS'}  ${target.target}: ${target.value}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
