import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { ChunkKind } from '../protocol/header.js';
import { firstV4l2Format, isUnsupportedFormatError, videoArgs, type V4l2Format } from './ffmpeg-args.js';
import { FfmpegSupervisor, type SupervisorTiming } from './ffmpeg-supervisor.js';
import { DEFAULT_MAX_FRAME_BYTES, MjpegSplitter } from './mjpeg-splitter.js';
import { noSignalJpeg } from './no-signal.js';
import { RateLimiter } from './rate-limiter.js';
import { nowMicros, type SourceListener, type SourceState } from './source.js';
import { SupervisedSource } from './supervised-source.js';

/** Knobs of the ffmpeg video source that tests shorten; production uses the defaults. */
export interface FfmpegVideoSourceOptions {
  timing?: Partial<SupervisorTiming>;
  /** Publish "no signal" once no real frame came for this long (default 2000 ms), or at once when down. */
  noSignalAfterMs?: number;
  /** Period of "no signal" frames (default 1000 ms). */
  noSignalIntervalMs?: number;
  maxFrameBytes?: number;
}

/**
 * Video from a camera (source "v4l2") or any ffmpeg input (source "ffmpeg") as whole JPEG frames,
 * through one supervised ffmpeg child. While it has no picture it publishes a "no signal" JPEG.
 */
export class FfmpegVideoSource extends SupervisedSource {
  readonly name = 'video';
  protected readonly supervisor: FfmpegSupervisor;
  private readonly splitter: MjpegSplitter;
  private v4l2Format: V4l2Format;
  private readonly noSignalAfterMs: number;
  private readonly noSignalIntervalMs: number;
  private noSignalTimer: NodeJS.Timeout | null = null;
  private lastRealFrameAt = 0;
  private lastNoSignalAt = Number.NEGATIVE_INFINITY;
  private readonly discardWarnings = new RateLimiter(1, 10_000);
  private reportedDiscards = 0;

  constructor(
    private readonly config: Pick<Config, 'video' | 'ffmpeg'>,
    private readonly listener: SourceListener,
    private readonly log: Logger,
    options: FfmpegVideoSourceOptions = {},
  ) {
    super();
    this.v4l2Format = firstV4l2Format(config.video.inputFormat);
    this.noSignalAfterMs = options.noSignalAfterMs ?? 2000;
    this.noSignalIntervalMs = options.noSignalIntervalMs ?? 1000;
    this.splitter = new MjpegSplitter(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.supervisor = new FfmpegSupervisor({
      log,
      ffmpegPath: config.ffmpeg.path,
      chunkName: 'frame',
      args: () => videoArgs(config.video, this.v4l2Format),
      onSpawn: () => this.splitter.reset(),
      onStdout: (data) => this.onStdout(data),
      onStderrLine: (line) => this.onStderrLine(line),
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
    // moment wscam can observe (ffmpeg's own timestamps are not wall-clock for v4l2 or lavfi).
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

  private onStderrLine(line: string): void {
    if (this.config.video.source !== 'v4l2' || this.config.video.inputFormat !== 'auto' || this.v4l2Format !== 'mjpeg') return;
    if (!isUnsupportedFormatError(line)) return;
    this.v4l2Format = 'yuyv422';
    this.log.warn(`v4l2: ${this.config.video.device} offers no MJPEG at this size; falling back to yuyv422 encoded by ffmpeg`);
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
    const { width, height } = this.config.video;
    this.listener.chunk({ kind: ChunkKind.Jpeg, payload: noSignalJpeg(width, height), captureTimeUs: nowMicros(), placeholder: true });
  }
}
