import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { ChunkKind } from '../../protocol/header.js';
import { ChildSupervisor, type ChildCommand, type SupervisorTiming } from '../process/child-supervisor.js';
import { DEFAULT_MAX_FRAME_BYTES, MjpegSplitter } from '../formats/mjpeg-splitter.js';
import { noSignalJpeg } from './no-signal.js';
import { RateLimiter } from '../process/rate-limiter.js';
import { nowMicros, type SourceListener, type SourceState } from '../source.js';
import { SupervisedSource } from './supervised-source.js';

/** Knobs of the MJPEG video sources that tests shorten; production uses the defaults. */
export interface MjpegVideoSourceOptions {
  timing?: Partial<SupervisorTiming>;
  /** Publish "no signal" once no real frame came for this long (default 2000 ms), or at once when down. */
  noSignalAfterMs?: number;
  /** Period of "no signal" frames (default 1000 ms). */
  noSignalIntervalMs?: number;
  maxFrameBytes?: number;
}

/** The program that writes MJPEG to its stdout, as a source runs it. */
export interface MjpegProgram {
  /** Program and arguments for the next spawn (looked up again at every restart). */
  command(): Promise<ChildCommand>;
  /** Sees each stderr line (e.g. to change the next spawn's arguments). */
  onStderrLine?(line: string): void;
}

/** video.command as given: spawn looks the program up on PATH, and a missing one is a reported, retried failure. */
export function commandProgram(argv: readonly string[]): MjpegProgram {
  const [file, ...args] = argv;
  return {
    command: (): Promise<ChildCommand> =>
      Promise.resolve(file === undefined ? { ok: false, error: 'video.command is empty' } : { ok: true, file, args }),
  };
}

/**
 * Video as whole JPEG frames from any supervised child that writes an MJPEG byte stream to stdout
 * (ffmpeg, rpicam-vid, a configured command). While it has no picture it publishes a "no signal" JPEG.
 */
export class MjpegVideoSource extends SupervisedSource {
  readonly name = 'video';
  protected readonly supervisor: ChildSupervisor;
  private readonly splitter: MjpegSplitter;
  private readonly noSignalAfterMs: number;
  private readonly noSignalIntervalMs: number;
  private noSignalTimer: NodeJS.Timeout | null = null;
  private lastRealFrameAt = 0;
  private lastNoSignalAt = Number.NEGATIVE_INFINITY;
  private readonly discardWarnings = new RateLimiter(1, 10_000);
  private reportedDiscards = 0;

  constructor(
    private readonly video: Pick<Config['video'], 'width' | 'height'>,
    private readonly listener: SourceListener,
    private readonly log: Logger,
    program: MjpegProgram,
    options: MjpegVideoSourceOptions = {},
  ) {
    super();
    this.noSignalAfterMs = options.noSignalAfterMs ?? 2000;
    this.noSignalIntervalMs = options.noSignalIntervalMs ?? 1000;
    this.splitter = new MjpegSplitter(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.supervisor = new ChildSupervisor({
      log,
      chunkName: 'frame',
      command: () => program.command(),
      onSpawn: () => this.splitter.reset(),
      onStdout: (data) => this.onStdout(data),
      onStderrLine: (line) => program.onStderrLine?.(line),
      onState: (state) => this.onState(state),
      timing: options.timing,
    });
  }

  override start(): Promise<void> {
    if (this.noSignalTimer === null) {
      this.lastRealFrameAt = performance.now();
      this.noSignalTimer = setInterval(() => this.maybePublishNoSignal(), this.noSignalIntervalMs);
    }
    return super.start();
  }

  override async stop(): Promise<void> {
    if (this.noSignalTimer !== null) clearInterval(this.noSignalTimer);
    this.noSignalTimer = null;
    await super.stop();
  }

  private onStdout(data: Buffer): void {
    // Capture time is when the pipe read that completed the frame returned: the closest wall-clock
    // moment wscam can observe (the child's own timestamps are not wall-clock for v4l2 or lavfi).
    const captureTimeUs = nowMicros();
    const frames = this.splitter.push(data);
    for (const payload of frames) {
      this.lastRealFrameAt = performance.now();
      this.supervisor.chunkArrived();
      this.listener.chunk({ kind: ChunkKind.Jpeg, payload, captureTimeUs });
    }
    this.warnAboutDiscards();
  }

  private warnAboutDiscards(): void {
    const { garbageBytes, corruptFrames, oversizeFrames } = this.splitter.stats;
    const total = garbageBytes + corruptFrames + oversizeFrames;
    if (total === this.reportedDiscards || !this.discardWarnings.allow()) return;
    this.reportedDiscards = total;
    this.log.warn({ garbageBytes, corruptFrames, oversizeFrames }, 'mjpeg: skipped bytes that were not whole JPEG frames (totals)');
  }

  private onState(state: SourceState): void {
    this.listener.state(state);
    if (state.status === 'down') this.maybePublishNoSignal();
  }

  private maybePublishNoSignal(): void {
    const now = performance.now();
    const status = this.supervisor.state.status;
    if (status === 'stopped') return;
    const noPicture = status === 'down' || now - this.lastRealFrameAt >= this.noSignalAfterMs;
    // Slightly under the period, so timer jitter does not skip a beat.
    if (!noPicture || now - this.lastNoSignalAt < this.noSignalIntervalMs * 0.9) return;
    this.lastNoSignalAt = now;
    const { width, height } = this.video;
    this.listener.chunk({ kind: ChunkKind.Jpeg, payload: noSignalJpeg(width, height), captureTimeUs: nowMicros(), placeholder: true });
  }
}
