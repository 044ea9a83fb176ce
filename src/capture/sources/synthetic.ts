import { Worker } from 'node:worker_threads';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { ChunkKind } from '../../protocol/header.js';
import { pcmBytesFor } from '../formats/pcm-chunker.js';
import { AUDIO_CHUNK_MS, nowMicros, type CaptureSource, type SourceListener, type SourceState } from '../source.js';
import { SteadyTicker } from './steady-ticker.js';
import { loopFrameCount } from './test-pattern.js';
import type { TestPatternFrame, TestPatternJob } from './test-pattern-worker.js';

/** One second of the 440 Hz test tone as s16le; a whole number of cycles, so the loop joins without a click. */
export function testToneSecond(sampleRate: number, channels: number): Buffer {
  const second = Buffer.alloc(sampleRate * channels * 2);
  for (let frame = 0; frame < sampleRate; frame += 1) {
    const sample = Math.round(Math.sin((2 * Math.PI * 440 * frame) / sampleRate) * 0.3 * 32767);
    for (let channel = 0; channel < channels; channel += 1) second.writeInt16LE(sample, (frame * channels + channel) * 2);
  }
  return second;
}

/**
 * Heap limits of the render worker, so the garbage jpeg-js leaves per frame (its tables are rebuilt at every
 * encode) is collected instead of growing the daemon. Measured at 640x480: 16 MB fails at the first frame,
 * 24-32 MB thrash (and now and then run out), 40 MB renders as fast as no limit.
 */
function renderLimits(width: number, height: number): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number } {
  const bytesPerPixel = 24;
  return { maxOldGenerationSizeMb: Math.max(40, Math.ceil((width * height * bytesPerPixel) / 2 ** 20)), maxYoungGenerationSizeMb: 4 };
}
/** Beside this module: in the test build its compiled source, in dist/ the worker bundle next to main.js. */
const RENDER_WORKER = new URL('./test-pattern-worker.js', import.meta.url);

/**
 * The synthetic camera: a loop of test-pattern JPEGs replayed at the configured fps. The loop is encoded
 * once, in a worker thread, so the event loop (audio, viewers, /healthz) never waits for the encoder;
 * replay starts with the first frame, and the worker and its heap are gone once the loop is complete.
 */
export class SyntheticVideoSource implements CaptureSource {
  readonly name = 'video';
  state: SourceState = { status: 'stopped' };
  private readonly frames: Buffer[] = [];
  private readonly count: number;
  private worker: Worker | undefined;
  private renderStartedAt = 0;
  /** Frames the current worker started from: a worker that fails after adding some is replaced. */
  private renderFrom = 0;
  private next = 0;
  private readonly ticker: SteadyTicker;
  private running = false;
  /** Starts that ended with no frame at all (every render failed); the next start() renders again. */
  restarts = 0;

  constructor(
    private readonly config: Config['video'],
    private readonly listener: SourceListener,
    private readonly log: Logger,
  ) {
    this.count = loopFrameCount(config.fps);
    this.ticker = new SteadyTicker(1000 / config.fps, () => this.emitFrame());
  }

  /** Resolves at once: frames still missing are rendered in the worker, replay begins with the first. */
  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.setState({ status: 'starting' });
    if (this.frames.length < this.count) this.render();
    if (this.frames.length > 0) this.beginReplay();
    return Promise.resolve();
  }

  /** Also ends a render under way; the next start() renders only the frames still missing. */
  async stop(): Promise<void> {
    this.running = false;
    const worker = this.worker;
    this.worker = undefined;
    await this.ticker.stop();
    if (worker) await worker.terminate();
    this.setState({ status: 'stopped' });
  }

  private beginReplay(): void {
    this.setState({ status: 'running' });
    this.emitFrame();
    void this.ticker.start();
  }

  private emitFrame(): void {
    const frames = this.frames;
    if (frames.length === 0 || !this.running) return;
    const payload = frames[this.next % frames.length]!;
    this.next += 1;
    this.listener.chunk({ kind: ChunkKind.Jpeg, payload, captureTimeUs: nowMicros() });
  }

  private render(): void {
    if (this.worker) return;
    const { width, height } = this.config;
    const job: TestPatternJob = { width, height, count: this.count, from: this.frames.length };
    if (job.from === 0) this.renderStartedAt = performance.now();
    this.renderFrom = job.from;
    const worker = new Worker(RENDER_WORKER, { workerData: job, resourceLimits: renderLimits(width, height) });
    this.worker = worker;
    worker.on('message', (frame: TestPatternFrame) => {
      if (frame.index !== this.frames.length) return;
      this.frames.push(Buffer.from(frame.jpeg));
      if (this.frames.length === 1 && this.running) this.beginReplay();
      if (this.frames.length === this.count) {
        this.log.info(
          { frames: this.count, width, height, ms: Math.round(performance.now() - this.renderStartedAt) },
          'test pattern rendered',
        );
      }
    });
    worker.on('error', (error) => this.renderFailed(worker, error));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
    });
  }

  private renderFailed(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const reason = `test pattern: render failed after ${this.frames.length} of ${this.count} frames: ${error.message}`;
    // A worker that made progress (a heap limit reached late) is replaced and carries on from there.
    if (this.frames.length > this.renderFrom && this.running) {
      this.log.warn(`${reason}; rendering the rest in a new worker`);
      this.render();
      return;
    }
    this.log.error(reason);
    // A partial loop still moves; with no frame at all the camera is down.
    if (this.frames.length === 0 && this.running) {
      this.restarts += 1;
      this.setState({ status: 'down', reason, retryInMs: 0 });
    }
  }

  private setState(state: SourceState): void {
    this.state = state;
    this.listener.state(state);
  }
}

/** The synthetic microphone: a 440 Hz tone, one precomputed second replayed as 20 ms PCM chunks. */
export class SyntheticAudioSource implements CaptureSource {
  readonly name = 'audio';
  state: SourceState = { status: 'stopped' };
  private readonly second: Buffer;
  private readonly chunkBytes: number;
  private offset = 0;
  private readonly ticker: SteadyTicker;
  /** The tone cannot fail. */
  readonly restarts = 0;

  constructor(
    config: Config['audio'],
    private readonly listener: SourceListener,
    log: Logger,
  ) {
    const { sampleRate, channels } = config;
    this.second = testToneSecond(sampleRate, channels);
    this.chunkBytes = pcmBytesFor(AUDIO_CHUNK_MS, sampleRate, channels);
    this.ticker = new SteadyTicker(AUDIO_CHUNK_MS, () => this.emitChunk());
    log.debug({ sampleRate, channels }, 'test tone ready');
  }

  start(): Promise<void> {
    if (this.state.status === 'running') return Promise.resolve();
    this.state = { status: 'running' };
    this.listener.state(this.state);
    return this.ticker.start();
  }

  stop(): Promise<void> {
    const stopped = this.ticker.stop();
    this.state = { status: 'stopped' };
    this.listener.state(this.state);
    return stopped;
  }

  private emitChunk(): void {
    const payload = this.second.subarray(this.offset, this.offset + this.chunkBytes);
    this.offset = (this.offset + this.chunkBytes) % this.second.length;
    this.listener.chunk({ kind: ChunkKind.Pcm, payload, captureTimeUs: nowMicros() });
  }
}
