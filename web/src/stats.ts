/** What the status overlay and window.wscam.stats() show. */
export interface StreamStats {
  fps: number;
  bitrateKbps: number;
  /** Drawn time minus capture time, on the two machines' clocks as they are. */
  latencyMs: number | null;
  /** Latency above the fastest recent delivery, which cancels any clock offset between camera and viewer. */
  correctedLatencyMs: number | null;
  /** Smallest recent (receive − capture): clock offset plus the best-case network delay. */
  clockOffsetMs: number | null;
  framesDrawn: number;
  /** Capture → displayed latency of the last frames shown, oldest first (for the bench and tests). */
  recentLatenciesMs: number[];
  /** Median of recentLatenciesMs. */
  latencyP50Ms: number | null;
  sequenceGaps: number;
  decodeDrops: number;
  droppedFrames: number;
  /** Time since the last frame arrived, or since the connection opened if none has yet. */
  lastFrameAgeMs: number | null;
}

const rateWindowMs = 2000;
const offsetWindowMs = 10_000;
// A jump this large is a restarted daemon, not lost frames.
const maxPlausibleGap = 100_000;
const recentLatencyCount = 120;

interface Timed {
  at: number;
  value: number;
}

/** Current wall-clock time in milliseconds with sub-millisecond precision. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function prune(samples: Timed[], olderThan: number): void {
  let drop = 0;
  while (drop < samples.length && samples[drop]!.at < olderThan) drop++;
  if (drop > 0) samples.splice(0, drop);
}

/** Counts frames, bytes, gaps and delays over sliding windows. */
export class StatsCollector {
  private readonly draws: Timed[] = [];
  private readonly bytes: Timed[] = [];
  private readonly offsets: Timed[] = [];
  private readonly recentLatencies: number[] = [];
  private lastVideoSequence: number | null = null;
  private firstSampleAt: number | null = null;
  private latency: number | null = null;
  private correctedLatency: number | null = null;
  private framesDrawn = 0;
  private sequenceGaps = 0;
  private decodeDrops = 0;
  private lastFrameAt: number | null = null;

  /** Every binary message, for the bitrate. */
  recordMessage(byteLength: number, receivedAt: number): void {
    this.firstSampleAt ??= receivedAt;
    this.bytes.push({ at: receivedAt, value: byteLength });
  }

  /** Every video frame (JPEG or H.264 access unit) as it arrives, for gaps, the clock offset and the no-signal timer. */
  recordVideoFrame(sequence: number, captureTimeMs: number, receivedAt: number): void {
    if (this.lastVideoSequence !== null) {
      const gap = (sequence - this.lastVideoSequence - 1) >>> 0;
      if (gap < maxPlausibleGap) this.sequenceGaps += gap;
    }
    this.lastVideoSequence = sequence;
    this.lastFrameAt = receivedAt;
    this.offsets.push({ at: receivedAt, value: receivedAt - captureTimeMs });
  }

  recordDecodeDrop(): void {
    this.decodeDrops++;
  }

  recordDrawn(captureTimeMs: number, drawnAt: number): void {
    this.framesDrawn++;
    this.draws.push({ at: drawnAt, value: 1 });
    this.latency = drawnAt - captureTimeMs;
    this.recentLatencies.push(this.latency);
    if (this.recentLatencies.length > recentLatencyCount) this.recentLatencies.shift();
    const offset = this.clockOffset(drawnAt);
    this.correctedLatency = offset === null ? null : this.latency - offset;
  }

  /**
   * A new connection: sequence numbers start over, the old offset may no longer hold, and the
   * no-signal timer counts from now so a camera that is still starting gets its few seconds.
   */
  resetConnection(now = wallClockMs()): void {
    this.lastVideoSequence = null;
    this.offsets.length = 0;
    this.lastFrameAt = now;
  }

  snapshot(now = wallClockMs()): StreamStats {
    prune(this.draws, now - rateWindowMs);
    prune(this.bytes, now - rateWindowMs);
    const span = Math.max(1, Math.min(rateWindowMs, now - (this.firstSampleAt ?? now)));
    const byteSum = this.bytes.reduce((sum, sample) => sum + sample.value, 0);
    return {
      fps: (this.draws.length * 1000) / span,
      bitrateKbps: (byteSum * 8) / span,
      latencyMs: this.latency,
      correctedLatencyMs: this.correctedLatency,
      clockOffsetMs: this.clockOffset(now),
      framesDrawn: this.framesDrawn,
      recentLatenciesMs: [...this.recentLatencies],
      latencyP50Ms: median(this.recentLatencies),
      sequenceGaps: this.sequenceGaps,
      decodeDrops: this.decodeDrops,
      droppedFrames: this.sequenceGaps + this.decodeDrops,
      lastFrameAgeMs: this.lastFrameAt === null ? null : now - this.lastFrameAt,
    };
  }

  private clockOffset(now: number): number | null {
    prune(this.offsets, now - offsetWindowMs);
    if (this.offsets.length === 0) return null;
    return this.offsets.reduce((min, sample) => Math.min(min, sample.value), Infinity);
  }
}
