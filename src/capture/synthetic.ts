import jpeg from 'jpeg-js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { ChunkKind } from '../protocol/header.js';
import { drawText, fillRect, textWidth } from './bitmap-font.js';
import { nowMicros, type CaptureSource, type SourceListener, type SourceState } from './source.js';
import { SteadyTicker } from './steady-ticker.js';

/** Loop length of the synthetic picture; frames are encoded once, then replayed. */
const MAX_LOOP_FRAMES = 60;

/** Frames in the synthetic loop at this fps (about four seconds' worth, at most 60). */
export function loopFrameCount(fps: number): number {
  return Math.min(MAX_LOOP_FRAMES, fps * 4);
}

/** One second of the 440 Hz test tone as s16le; a whole number of cycles, so the loop joins without a click. */
export function testToneSecond(sampleRate: number, channels: number): Buffer {
  const second = Buffer.alloc(sampleRate * channels * 2);
  for (let frame = 0; frame < sampleRate; frame += 1) {
    const sample = Math.round(Math.sin((2 * Math.PI * 440 * frame) / sampleRate) * 0.3 * 32767);
    for (let channel = 0; channel < channels; channel += 1) second.writeInt16LE(sample, (frame * channels + channel) * 2);
  }
  return second;
}
const BARS: ReadonlyArray<readonly [number, number, number]> = [
  [192, 192, 192],
  [192, 192, 0],
  [0, 192, 192],
  [0, 192, 0],
  [192, 0, 192],
  [192, 0, 0],
  [0, 0, 192],
];

/** Renders one test-pattern frame: sliding colour bars, a bouncing box and a frame counter. */
export function renderTestPattern(width: number, height: number, index: number, count: number): Buffer {
  const rgba = new Uint8Array(width * height * 4);
  const shift = Math.floor((index / count) * width);
  const barWidth = width / BARS.length;
  for (let bar = 0; bar < BARS.length; bar += 1) {
    const color = BARS[bar]!;
    const x = (bar * barWidth + shift) % width;
    fillRect(rgba, width, height, x, 0, barWidth + 1, height * 0.7, color);
    fillRect(rgba, width, height, x - width, 0, barWidth + 1, height * 0.7, color);
  }
  fillRect(rgba, width, height, 0, height * 0.7, width, height * 0.3, [16, 16, 24]);
  const phase = (index / count) * Math.PI * 2;
  const box = Math.max(8, Math.round(height / 8));
  fillRect(rgba, width, height, (width - box) * (0.5 + 0.5 * Math.sin(phase)), (height * 0.7 - box) * (0.5 + 0.5 * Math.sin(phase * 2)), box, box, [255, 255, 255]);
  const scale = Math.max(1, Math.floor(height / 80));
  const label = `WSCAM TEST ${String(index).padStart(2, '0')}/${count}`;
  drawText(rgba, width, label, Math.max(0, (width - textWidth(label, scale)) / 2), height * 0.78, scale, [240, 240, 240]);
  // A sweep bar under the text moves once per loop so motion is visible even in a still screenshot pair.
  fillRect(rgba, width, height, 0, height * 0.93, ((index + 1) / count) * width, Math.max(2, height * 0.02), [80, 200, 120]);
  return jpeg.encode({ data: rgba, width, height }, 75).data;
}

/** The synthetic camera: a pre-encoded loop of test-pattern JPEGs replayed at the configured fps. */
export class SyntheticVideoSource implements CaptureSource {
  readonly name = 'video';
  state: SourceState = { status: 'stopped' };
  /** Filled while the loop renders; replay starts with the first frame, not the whole loop. */
  private readonly frames: Buffer[] = [];
  private rendering: Promise<void> | undefined;
  private next = 0;
  private readonly ticker: SteadyTicker;
  private running = false;

  constructor(
    private readonly config: Config['video'],
    private readonly listener: SourceListener,
    private readonly log: Logger,
  ) {
    this.ticker = new SteadyTicker(1000 / config.fps, () => this.emitFrame());
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.setState({ status: 'starting' });
    void this.renderLoop();
    if (this.frames.length > 0) this.beginReplay();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.ticker.stop();
    this.setState({ status: 'stopped' });
  }

  private beginReplay(): void {
    this.setState({ status: 'running' });
    this.emitFrame();
    this.ticker.start();
  }

  private emitFrame(): void {
    const frames = this.frames;
    if (frames.length === 0 || !this.running) return;
    const payload = frames[this.next % frames.length]!;
    this.next += 1;
    this.listener.chunk({ kind: ChunkKind.Jpeg, payload, captureTimeUs: nowMicros() });
  }

  /** Encodes the loop once, yielding between frames so the server keeps serving meanwhile. */
  private renderLoop(): Promise<void> {
    this.rendering ??= (async () => {
      const started = performance.now();
      const { width, height } = this.config;
      const count = loopFrameCount(this.config.fps);
      for (let index = 0; index < count; index += 1) {
        this.frames.push(renderTestPattern(width, height, index, count));
        if (index === 0 && this.running) this.beginReplay();
        await new Promise((resolve) => setImmediate(resolve));
      }
      this.log.info({ frames: count, width, height, ms: Math.round(performance.now() - started) }, 'test pattern rendered');
    })();
    return this.rendering;
  }

  private setState(state: SourceState): void {
    this.state = state;
    this.listener.state(state);
  }
}

/** Audio chunk length for PCM (the contract's ~20 ms). */
export const AUDIO_CHUNK_MS = 20;

/** The synthetic microphone: a 440 Hz tone, one precomputed second replayed as 20 ms PCM chunks. */
export class SyntheticAudioSource implements CaptureSource {
  readonly name = 'audio';
  state: SourceState = { status: 'stopped' };
  private readonly second: Buffer;
  private readonly chunkBytes: number;
  private offset = 0;
  private readonly ticker: SteadyTicker;

  constructor(
    config: Config['audio'],
    private readonly listener: SourceListener,
    log: Logger,
  ) {
    const { sampleRate, channels } = config;
    this.second = testToneSecond(sampleRate, channels);
    this.chunkBytes = (sampleRate / (1000 / AUDIO_CHUNK_MS)) * channels * 2;
    this.ticker = new SteadyTicker(AUDIO_CHUNK_MS, () => this.emitChunk());
    log.debug({ sampleRate, channels }, 'test tone ready');
  }

  async start(): Promise<void> {
    if (this.state.status === 'running') return;
    this.state = { status: 'running' };
    this.listener.state(this.state);
    this.ticker.start();
  }

  async stop(): Promise<void> {
    this.ticker.stop();
    this.state = { status: 'stopped' };
    this.listener.state(this.state);
  }

  private emitChunk(): void {
    const payload = this.second.subarray(this.offset, this.offset + this.chunkBytes);
    this.offset = (this.offset + this.chunkBytes) % this.second.length;
    this.listener.chunk({ kind: ChunkKind.Pcm, payload, captureTimeUs: nowMicros() });
  }
}
