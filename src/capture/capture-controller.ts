import type { Config } from '../config/schema.js';
import { moduleLogger, type Logger } from '../log.js';
import type { FrameHub } from '../hub/frame-hub.js';
import { ChunkKind } from '../protocol/header.js';
import { createCaptureSources, type CaptureSourceFactory, type CaptureSources } from './create.js';
import type { CaptureSource, CapturedChunk, Lifecycle, SourceState } from './source.js';

/** What /healthz and /metrics report about one source. */
export interface SourceHealth {
  state: SourceState['status'];
  /** Why the source last went down, until it delivers again (so also while it retries). */
  reason?: string;
  chunks: number;
  restarts: number;
  lastChunkAgeMs: number | null;
  fps: number;
}

/** The window /healthz's fps is measured over. */
const RATE_WINDOW_MS = 5000;
/** Arrival times kept: 5 s at 50 chunks a second; at a higher rate the newest this many span less, the rate is the same. */
const RATE_SAMPLES = 256;

/** Recent chunk arrival times in a fixed ring, so counting a chunk allocates and moves nothing. */
class ArrivalTimes {
  private readonly times = new Float64Array(RATE_SAMPLES);
  private newest = -1;
  private count = 0;

  add(now: number): void {
    this.newest = (this.newest + 1) % RATE_SAMPLES;
    this.times[this.newest] = now;
    this.count = Math.min(this.count + 1, RATE_SAMPLES);
  }

  /** Chunks per second over those that came in the last RATE_WINDOW_MS, to one decimal; 0 with fewer than two. */
  rate(now: number): number {
    let oldest = this.newest;
    let inWindow = 0;
    for (let back = 0; back < this.count; back += 1) {
      const index = (this.newest - back + RATE_SAMPLES) % RATE_SAMPLES;
      if (now - this.times[index]! > RATE_WINDOW_MS) break;
      oldest = index;
      inWindow += 1;
    }
    if (inWindow < 2) return 0;
    return Math.round(((inWindow - 1) * 1000 * 10) / (this.times[this.newest]! - this.times[oldest]!)) / 10;
  }
}

/**
 * What the controller itself sees of one source (video or audio) across the sources it builds: the chunks
 * it published and why the source last failed. State and restarts are the source's own; they are read from it.
 */
class SourceRecord {
  chunks = 0;
  lastChunkAt: number | null = null;
  /** Restarts of the sources this record's current one replaced, so the total keeps rising across reconfigures. */
  private retiredRestarts = 0;
  private failure: string | undefined;
  private readonly arrivals = new ArrivalTimes();

  onChunk(now: number): void {
    this.failure = undefined;
    this.chunks += 1;
    this.lastChunkAt = now;
    this.arrivals.add(now);
  }

  onState(state: SourceState): void {
    if (state.status === 'down') this.failure = state.reason;
  }

  /** A new source starts with a clean record. */
  forgetFailure(): void {
    this.failure = undefined;
  }

  /** The source is being replaced: its restarts stay in the total. */
  retire(source: CaptureSource | null): void {
    this.retiredRestarts += source?.restarts ?? 0;
  }

  health(source: CaptureSource | null, now: number): SourceHealth {
    return {
      state: source?.state.status ?? 'stopped',
      ...(this.failure !== undefined ? { reason: this.failure } : {}),
      chunks: this.chunks,
      restarts: this.retiredRestarts + (source?.restarts ?? 0),
      lastChunkAgeMs: this.lastChunkAt === null ? null : Math.round(now - this.lastChunkAt),
      fps: this.arrivals.rate(now),
    };
  }
}

/** What the health check knows about capture beyond the sources' live figures. */
export interface CaptureHealth {
  video: SourceHealth;
  audio: SourceHealth | null;
  /** A real (not "no signal") frame came from the current camera since start or the last reconfigure. */
  videoDelivered: boolean;
  /** The sources as they were when capture last stopped for lack of viewers; null before that. */
  lastRun: { video: SourceHealth; audio: SourceHealth | null } | null;
}

export interface CaptureControllerOptions {
  hub: FrameHub;
  config: Config;
  /** The root logger: the controller logs as module "capture", the sources as "video" and "audio". */
  log: Logger;
  /** Builds the sources for a config; the default is the configured video and audio capture. */
  createSources?: CaptureSourceFactory;
}

/**
 * Runs capture on demand: builds the configured sources, starts them for the first viewer (or snapshot)
 * and stops them idleSeconds after the last one leaves, so a board does no capture work while nobody watches.
 * At start (and after reconfigure) it captures once until the camera's first frame, so the health check
 * knows whether the camera works before anyone watches. reconfigure() swaps the sources for a new config
 * while viewers stay attached to the hub.
 */
export class CaptureController implements Lifecycle {
  private readonly hub: FrameHub;
  private readonly rootLog: Logger;
  private readonly log: Logger;
  private readonly createSources: CaptureSourceFactory;
  private config: Config;
  private sources: CaptureSources | undefined;
  private readonly videoRecord = new SourceRecord();
  private readonly audioRecord = new SourceRecord();
  /** Short-lived holds (snapshots); viewers are counted by the hub itself. */
  private holds = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private running = false;
  /** Capture is held from start() until the camera's first real frame. */
  private probing = false;
  private videoDelivered = false;
  private lastRun: CaptureHealth['lastRun'] = null;
  /** start, stop, reconfigure and demand changes run one after another, never interleaved. */
  private queue: Promise<void> = Promise.resolve();

  constructor(options: CaptureControllerOptions) {
    this.hub = options.hub;
    this.config = options.config;
    this.rootLog = options.log;
    this.log = moduleLogger(options.log, 'capture');
    this.createSources = options.createSources ?? createCaptureSources;
    this.hub.on('viewers', () => this.onDemandChanged());
  }

  /** Builds the sources and runs capture until the camera's first frame; then on demand (always, with idleSeconds 0). */
  start(): Promise<void> {
    return this.serial(async () => {
      if (this.sources) return;
      this.replaceSources(this.build(this.config));
      this.beginProbe();
      await this.startIfWanted();
    });
  }

  /**
   * Stops the current sources, builds new ones from `config` and starts them again if there is demand.
   * Viewers stay attached to the hub throughout. A factory that throws leaves the old sources as they were.
   * `beforeStart` runs between the two, so viewers can learn a new format before its first chunk.
   */
  reconfigure(config: Config, beforeStart: () => void = () => {}): Promise<void> {
    return this.serial(async () => {
      const next = this.build(config);
      const previous = this.sources;
      this.config = config;
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      if (previous) {
        this.log.info('capture reconfigured: restarting sources');
        await this.stopSources(previous);
      }
      // Chunks kept from the old sources may be of the old format, which new viewers' hello no longer says.
      this.hub.forgetLatest();
      this.running = false;
      this.replaceSources(next);
      beforeStart();
      this.beginProbe();
      await this.startIfWanted();
    });
  }

  /** Stops capture; start() builds fresh sources again. */
  stop(): Promise<void> {
    return this.serial(async () => {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      this.probing = false;
      const sources = this.sources;
      if (sources && this.running) await this.stopSources(sources);
      this.running = false;
      this.replaceSources(undefined);
    });
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

  health(): CaptureHealth {
    return { ...this.liveHealth(), videoDelivered: this.videoDelivered, lastRun: this.lastRun };
  }

  private liveHealth(): { video: SourceHealth; audio: SourceHealth | null } {
    const now = performance.now();
    const sources = this.sources;
    return {
      video: this.videoRecord.health(sources?.video ?? null, now),
      audio: sources?.audio ? this.audioRecord.health(sources.audio, now) : null,
    };
  }

  private beginProbe(): void {
    this.probing = true;
    this.videoDelivered = false;
    this.lastRun = null;
    this.videoRecord.forgetFailure();
    this.audioRecord.forgetFailure();
  }

  private replaceSources(next: CaptureSources | undefined): void {
    this.videoRecord.retire(this.sources?.video ?? null);
    this.audioRecord.retire(this.sources?.audio ?? null);
    this.sources = next;
  }

  private serial(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Sources whose events count only while they are the current ones, so a replaced source cannot report. */
  private build(config: Config): CaptureSources {
    const current = (): boolean => this.sources === built;
    const listen = (record: SourceRecord) => ({
      chunk: (chunk: CapturedChunk) => current() && this.onChunk(record, chunk),
      state: (state: SourceState) => current() && record.onState(state),
    });
    const built: CaptureSources = this.createSources(
      config,
      { video: listen(this.videoRecord), audio: listen(this.audioRecord) },
      this.rootLog,
    );
    return built;
  }

  private idleSeconds(): number {
    return this.config.video.idleSeconds;
  }

  private demand(): number {
    return this.hub.viewerCount + this.holds + (this.probing ? 1 : 0);
  }

  private onDemandChanged(): void {
    if (this.demand() > 0) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      void this.serial(() => this.startIfWanted());
    } else if (this.idleSeconds() > 0 && this.running && !this.idleTimer) {
      const idleSeconds = this.idleSeconds();
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined;
        void this.serial(() => this.stopForIdle(idleSeconds));
      }, idleSeconds * 1000);
    }
  }

  private async startIfWanted(): Promise<void> {
    const sources = this.sources;
    if (this.running || !sources || (this.idleSeconds() > 0 && this.demand() === 0)) return;
    this.running = true;
    this.log.info('capture started');
    await Promise.all([sources.video.start(), sources.audio?.start()]);
  }

  private async stopForIdle(idleSeconds: number): Promise<void> {
    // A viewer may have come while this step waited its turn.
    if (!this.running || !this.sources || this.demand() > 0) return;
    this.lastRun = this.liveHealth();
    this.running = false;
    await this.stopSources(this.sources);
    this.log.info({ idleSeconds }, 'no viewers: capture stopped');
  }

  private async stopSources(sources: CaptureSources): Promise<void> {
    await Promise.all([sources.video.stop(), sources.audio?.stop()]);
    this.hub.forgetLatest();
  }

  private onChunk(record: SourceRecord, chunk: CapturedChunk): void {
    // "No signal" pictures reach viewers but must not make a lost camera look alive. In H.264 mode every
    // picture also comes as a JPEG: the access units count, so fps and chunks are the camera's.
    const counts = !chunk.placeholder && !(chunk.kind === ChunkKind.Jpeg && this.config.video.codec === 'h264');
    if (counts) record.onChunk(performance.now());
    this.hub.publish(chunk);
    if (record !== this.videoRecord || !counts || this.videoDelivered) return;
    this.videoDelivered = true;
    if (!this.probing) return;
    this.probing = false;
    this.log.info('camera delivers: capture now runs on demand');
    this.onDemandChanged();
  }
}
