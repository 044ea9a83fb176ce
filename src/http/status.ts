import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CaptureController, CaptureHealth, SourceHealth } from '../capture/capture-controller.js';
import type { H264Format } from '../capture/source.js';
import type { FrameHub } from '../hub/frame-hub.js';
import { ChunkKind } from '../protocol/header.js';

/** No chunk for this long means the source stopped delivering. */
const STALE_CHUNK_MS = 5000;

/**
 * The loop-delay sampler's period. Each sample is a timer that wakes an otherwise idle loop, which costs more
 * than the timer itself (at 20 ms the wakeups were 5 % of the daemon's CPU at 100 viewers); a stall this long or
 * longer is always seen, shorter ones in proportion to their length.
 */
const LOOP_DELAY_RESOLUTION_MS = 100;
/** Event-loop delay since the last /metrics scrape. */
const eventLoopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
eventLoopDelay.enable();

/** The histogram holds whole timer intervals in ns; the delay is what exceeds the period. */
function loopDelaySeconds(intervalNs: number): number {
  if (eventLoopDelay.count === 0) return 0;
  return Math.max(0, intervalNs / 1e6 - LOOP_DELAY_RESOLUTION_MS) / 1000;
}

export interface HealthReport {
  status: 'ok' | 'down';
  reason?: string;
  capture: 'running' | 'idle';
  viewers: number;
  uptimeSeconds: number;
  video: SourceHealth;
  audio: SourceHealth | null;
  /** While idle: the sources as they were when capture last ran. */
  lastRun?: CaptureHealth['lastRun'];
  /** H.264 capture: what the latest keyframe's SPS says, once one came in this capture run. */
  videoFormat?: H264Format;
}

/**
 * /healthz: ok while capture delivers frames, or while it sleeps for lack of viewers after a run that
 * delivered; down with a reason while a source fails (retries included), when the last run ended failing,
 * and whenever a camera that has not delivered a single frame since start has failed.
 */
export function healthReport(hub: FrameHub, capture: CaptureController): HealthReport {
  const { video, audio, videoDelivered, lastRun } = capture.health();
  const running = capture.isRunning;
  const base = {
    capture: running ? ('running' as const) : ('idle' as const),
    viewers: hub.viewerCount,
    uptimeSeconds: Math.round(process.uptime()),
    video,
    audio,
    ...(!running && lastRun !== null ? { lastRun } : {}),
    ...(hub.videoFormat !== undefined ? { videoFormat: hub.videoFormat } : {}),
  };
  const down = (reason: string): HealthReport => ({ status: 'down', reason, ...base });
  // Capture runs from start until the first frame, so a camera that fails before it is seen failing here.
  if (!videoDelivered && video.reason !== undefined) return down(`camera: ${video.reason} (no frame since start)`);
  const judged = running ? { video, audio } : lastRun;
  if (judged === null) return { status: 'ok', ...base };
  const when = running ? '' : ' (when capture last ran)';
  const camera = sourceProblem(judged.video, 'frame');
  if (camera !== null) return down(`camera: ${camera}${when}`);
  const microphone = judged.audio && sourceProblem(judged.audio, 'audio');
  if (microphone) return down(`microphone: ${microphone}${when}`);
  return { status: 'ok', ...base };
}

/** Why a source is failing, or null: it went down and has not delivered since (retries included), or it went quiet. */
function sourceProblem(source: SourceHealth, chunkName: string): string | null {
  if (source.reason !== undefined) return source.reason;
  if (source.state === 'running' && source.lastChunkAgeMs !== null && source.lastChunkAgeMs > STALE_CHUNK_MS) {
    return `no ${chunkName} for ${Math.round(source.lastChunkAgeMs / 1000)} s`;
  }
  return null;
}

export interface TransportCounts {
  websocket: number;
  mjpeg: number;
}

/** /metrics in the Prometheus text format. */
export function prometheusMetrics(hub: FrameHub, capture: CaptureController, clients: TransportCounts): string {
  const totals = hub.stats();
  const { video, audio } = capture.health();
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  metric('wscam_clients', 'gauge', 'Connected viewers by transport.', [
    ['{transport="websocket"}', clients.websocket],
    ['{transport="mjpeg"}', clients.mjpeg],
  ]);
  metric('wscam_chunks_captured_total', 'counter', 'Chunks taken from capture, by kind.', [
    ['{kind="jpeg"}', totals.published[ChunkKind.Jpeg]],
    ['{kind="pcm"}', totals.published[ChunkKind.Pcm]],
    ['{kind="opus"}', totals.published[ChunkKind.Opus]],
    ['{kind="h264"}', totals.published[ChunkKind.H264]],
  ]);
  metric('wscam_keyframes_captured_total', 'counter', 'H.264 keyframes taken from capture.', [['', totals.keyframes]]);
  metric('wscam_chunks_sent_total', 'counter', 'Chunks written to viewers.', [['', totals.sent]]);
  metric('wscam_chunks_dropped_total', 'counter', 'Chunks skipped because a viewer was too slow.', [['', totals.dropped]]);
  metric('wscam_bytes_sent_total', 'counter', 'Bytes written to viewers.', [['', totals.bytesSent]]);
  metric('wscam_capture_fps', 'gauge', 'Chunks per second over the last 5 s, by source.', [
    ['{source="video"}', video.fps],
    ['{source="audio"}', audio?.fps ?? 0],
  ]);
  metric('wscam_capture_restarts_total', 'counter', 'Times a source went down and was restarted.', [
    ['{source="video"}', video.restarts],
    ['{source="audio"}', audio?.restarts ?? 0],
  ]);
  metric('wscam_capture_up', 'gauge', '1 while the source is running.', [
    ['{source="video"}', video.state === 'running' ? 1 : 0],
    ['{source="audio"}', audio?.state === 'running' ? 1 : 0],
  ]);
  // Reset after reading, so each scrape reports the time since the previous one.
  metric(
    'wscam_event_loop_delay_seconds',
    'gauge',
    'Event-loop delay since the last scrape, by quantile (perf_hooks.monitorEventLoopDelay).',
    [
      ['{quantile="0.5"}', loopDelaySeconds(eventLoopDelay.percentile(50))],
      ['{quantile="0.99"}', loopDelaySeconds(eventLoopDelay.percentile(99))],
      ['{quantile="1"}', loopDelaySeconds(eventLoopDelay.max)],
    ],
  );
  eventLoopDelay.reset();
  metric('process_resident_memory_bytes', 'gauge', 'Resident set size.', [['', memory.rss]]);
  metric('process_cpu_seconds_total', 'counter', 'User and system CPU time.', [['', (cpu.user + cpu.system) / 1e6]]);
  return `${lines.join('\n')}\n`;
}
