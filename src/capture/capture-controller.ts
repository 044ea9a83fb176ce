import type { Logger } from '../log.js';
import type { FrameHub } from '../hub/frame-hub.js';
import type { CaptureSources, SourceListeners } from './create.js';
import type { CapturedChunk, SourceState } from './source.js';

/** What /healthz and /metrics report about one source. */
export interface SourceHealth {
  state: SourceState['status'];
  reason?: string;
  chunks: number;
  restarts: number;
  lastChunkAgeMs: number | null;
  fps: number;
}

class SourceStats {
  state: SourceState = { status: 'stopped' };
  chunks = 0;
  restarts = 0;
  lastChunkAt: number | null = null;
  private readonly recent: number[] = [];

  onChunk(now: number): void {
    this.chunks += 1;
    this.lastChunkAt = now;
    this.recent.push(now);
    while (this.recent.length > 0 && now - this.recent[0]! > 5000) this.recent.shift();
  }

  onState(state: SourceState): void {
    if (state.status === 'down' && this.state.status !== 'down') this.restarts += 1;
    this.state = state;
  }

  health(now: number): SourceHealth {
    const window = this.recent.filter((at) => now - at <= 5000);
    return {
      state: this.state.status,
      ...(this.state.status === 'down' ? { reason: this.state.reason } : {}),
      chunks: this.chunks,
      restarts: this.restarts,
      lastChunkAgeMs: this.lastChunkAt === null ? null : Math.round(now - this.lastChunkAt),
      fps: window.length < 2 ? 0 : Math.round(((window.length - 1) * 1000 * 10) / (window.at(-1)! - window[0]!)) / 10,
    };
  }
}

/**
 * Runs capture on demand: starts the sources for the first viewer (or snapshot) and stops them
 * idleSeconds after the last one leaves, so a board does no capture work while nobody watches.
 */
export class CaptureController {
  readonly listeners: SourceListeners;
  private sources: CaptureSources | undefined;
  private readonly videoStats = new SourceStats();
  private readonly audioStats = new SourceStats();
  /** Short-lived holds (snapshots); viewers are counted by the hub itself. */
  private holds = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly hub: FrameHub,
    private readonly idleSeconds: number,
    private readonly log: Logger,
  ) {
    this.listeners = {
      video: { chunk: (chunk) => this.onChunk(this.videoStats, chunk), state: (state) => this.videoStats.onState(state) },
      audio: { chunk: (chunk) => this.onChunk(this.audioStats, chunk), state: (state) => this.audioStats.onState(state) },
    };
    hub.on('viewers', () => this.onDemandChanged());
  }

  /** Hands over the sources built with `listeners`; with idleSeconds 0 capture runs from now on. */
  attach(sources: CaptureSources): void {
    this.sources = sources;
    if (this.idleSeconds === 0 || this.demand() > 0) this.startCapture();
  }

  /** A short-lived consumer such as a snapshot request holds capture running while it waits. */
  acquire(): () => void {
    this.holds += 1;
    this.onDemandChanged();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds -= 1;
      this.onDemandChanged();
    };
  }

  get isRunning(): boolean {
    return this.running;
  }

  health(): { video: SourceHealth; audio: SourceHealth | null } {
    const now = performance.now();
    return { video: this.videoStats.health(now), audio: this.sources?.audio ? this.audioStats.health(now) : null };
  }

  async stop(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.stopCapture();
  }

  private demand(): number {
    return this.hub.viewerCount + this.holds;
  }

  private onDemandChanged(): void {
    if (this.demand() > 0) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      this.startCapture();
    } else if (this.idleSeconds > 0 && this.running && !this.idleTimer) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined;
        this.log.info({ idleSeconds: this.idleSeconds }, 'no viewers: capture stopped');
        void this.stopCapture();
      }, this.idleSeconds * 1000);
    }
  }

  private startCapture(): void {
    if (this.running || !this.sources) return;
    this.running = true;
    this.log.info('capture started');
    this.sources.video.start();
    this.sources.audio?.start();
  }

  private async stopCapture(): Promise<void> {
    if (!this.running || !this.sources) return;
    this.running = false;
    await Promise.all([this.sources.video.stop(), this.sources.audio?.stop()]);
    this.hub.forgetLatest();
  }

  private onChunk(stats: SourceStats, chunk: CapturedChunk): void {
    // "No signal" pictures reach viewers but must not make a lost camera look alive.
    if (!chunk.placeholder) stats.onChunk(performance.now());
    this.hub.publish(chunk);
  }
}
