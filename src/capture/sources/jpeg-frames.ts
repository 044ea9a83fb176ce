import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { ChunkKind } from '../../protocol/header.js';
import { DEFAULT_MAX_FRAME_BYTES, MjpegSplitter } from '../formats/mjpeg-splitter.js';
import { RateLimiter } from '../process/rate-limiter.js';
import { nowMicros, type SourceListener, type SourceState } from '../source.js';
import { noSignalJpeg } from './no-signal.js';

/** Knobs of the JPEG side of a video source that tests shorten; production uses the defaults. */
export interface JpegFramesOptions {
  /** Publish "no signal" once no real frame came for this long (default 2000 ms), or at once when down. */
  noSignalAfterMs?: number;
  /** Period of "no signal" frames (default 1000 ms). */
  noSignalIntervalMs?: number;
  maxFrameBytes?: number;
}

/**
 * Whole JPEG frames out of a child's MJPEG byte stream, published with their capture time, and the
 * "no signal" JPEG while the child has no picture. The MJPEG sources read it from stdout, H.264 mode from pipe:3.
 */
export class JpegFrames {
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
    /** The child's state now: no "no signal" while stopped. */
    private readonly status: () => SourceState['status'],
    /** Called for each real frame (the supervisor's liveness signal). */
    private readonly onFrame: () => void,
    options: JpegFramesOptions = {},
  ) {
    this.noSignalAfterMs = options.noSignalAfterMs ?? 2000;
    this.noSignalIntervalMs = options.noSignalIntervalMs ?? 1000;
    this.splitter = new MjpegSplitter(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  }

  /** A new child: bytes of the old one's last frame are dropped. */
  reset(): void {
    this.splitter.reset();
  }

  start(): void {
    if (this.noSignalTimer !== null) return;
    this.lastRealFrameAt = performance.now();
    this.noSignalTimer = setInterval(() => this.maybePublishNoSignal(), this.noSignalIntervalMs);
  }

  stop(): void {
    if (this.noSignalTimer !== null) clearInterval(this.noSignalTimer);
    this.noSignalTimer = null;
  }

  push(data: Buffer): void {
    // Capture time is when the pipe read that completed the frame returned: the closest wall-clock
    // moment wscam can observe (the child's own timestamps are not wall-clock for v4l2 or lavfi).
    const captureTimeUs = nowMicros();
    const frames = this.splitter.push(data);
    for (const payload of frames) {
      this.lastRealFrameAt = performance.now();
      this.onFrame();
      this.listener.chunk({ kind: ChunkKind.Jpeg, payload, captureTimeUs });
    }
    this.warnAboutDiscards();
  }

  /** The child's state changed: a child that went down gets "no signal" at once. */
  onState(state: SourceState): void {
    if (state.status === 'down') this.maybePublishNoSignal();
  }

  private warnAboutDiscards(): void {
    const { garbageBytes, corruptFrames, oversizeFrames } = this.splitter.stats;
    const total = garbageBytes + corruptFrames + oversizeFrames;
    if (total === this.reportedDiscards || !this.discardWarnings.allow()) return;
    this.reportedDiscards = total;
    this.log.warn({ garbageBytes, corruptFrames, oversizeFrames }, 'mjpeg: skipped bytes that were not whole JPEG frames (totals)');
  }

  private maybePublishNoSignal(): void {
    const now = performance.now();
    const status = this.status();
    if (status === 'stopped') return;
    const noPicture = status === 'down' || now - this.lastRealFrameAt >= this.noSignalAfterMs;
    // Slightly under the period, so timer jitter does not skip a beat.
    if (!noPicture || now - this.lastNoSignalAt < this.noSignalIntervalMs * 0.9) return;
    this.lastNoSignalAt = now;
    const { width, height } = this.video;
    this.listener.chunk({ kind: ChunkKind.Jpeg, payload: noSignalJpeg(width, height), captureTimeUs: nowMicros(), placeholder: true });
  }
}
