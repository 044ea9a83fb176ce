/** Tuning of the audio jitter buffer, in milliseconds of stream audio. */
export interface JitterBufferOptions {
  channels: number;
  /** Sample rate of the pushed audio. */
  inputRate: number;
  /** Sample rate of the output device (the AudioContext). */
  outputRate: number;
  targetMs?: number;
  maxMs?: number;
}

export interface JitterBufferStats {
  bufferedMs: number;
  playing: boolean;
  underruns: number;
  skips: number;
}

const capacitySeconds = 1;
// Largest speed change used to pull the buffer back to its target: 0.5 % is about 9 cents of pitch.
const maxRateCorrection = 0.005;
// Smoothing time of the buffer level so the 20 ms chunk sawtooth does not wobble the pitch.
const levelSmoothingSeconds = 1;

/**
 * A ring of planar float audio that plays out at a steady latency: it waits for `targetMs` before
 * playing, rebuffers after an underrun, skips ahead past `maxMs`, and nudges its speed to stay near
 * the target so sender and sound-card clocks never drift apart. Resamples linearly when rates differ.
 * Shared by the AudioWorklet processor and the ScriptProcessor fallback.
 */
export class JitterBuffer {
  private readonly ring: Float32Array[];
  private readonly capacity: number;
  private readonly baseStep: number;
  private readonly targetFrames: number;
  private readonly maxFrames: number;
  private readonly inputRate: number;
  private readonly outputRate: number;
  private writePos = 0;
  private readPos = 0;
  private smoothedLevel: number;
  private playing = false;
  private underruns = 0;
  private skips = 0;

  constructor(options: JitterBufferOptions) {
    this.inputRate = options.inputRate;
    this.outputRate = options.outputRate;
    this.capacity = Math.ceil(options.inputRate * capacitySeconds);
    this.ring = Array.from({ length: options.channels }, () => new Float32Array(this.capacity));
    this.baseStep = options.inputRate / options.outputRate;
    this.targetFrames = Math.round(((options.targetMs ?? 60) / 1000) * options.inputRate);
    this.maxFrames = Math.round(((options.maxMs ?? 150) / 1000) * options.inputRate);
    this.smoothedLevel = this.targetFrames;
  }

  get channels(): number {
    return this.ring.length;
  }

  /** Appends one chunk; `planes` holds one array per channel (a mono chunk feeds every channel). */
  push(planes: Float32Array[]): void {
    const first = planes[0];
    if (!first) return;
    const frames = first.length;
    for (let c = 0; c < this.ring.length; c++) {
      const source = planes[c] ?? first;
      const ring = this.ring[c]!;
      for (let i = 0; i < frames; i++) ring[(this.writePos + i) % this.capacity] = source[i]!;
    }
    this.writePos += frames;
    // Keep a frame of slack so the read position never lands on overwritten samples.
    if (this.writePos - this.readPos > this.capacity - 1) this.readPos = this.writePos - this.maxFrames;
  }

  /** Fills `outputs` (one array per output channel) with the next block of audio or silence. */
  render(outputs: Float32Array[]): void {
    const frames = outputs[0]?.length ?? 0;
    let buffered = this.writePos - this.readPos;
    if (!this.playing && buffered >= this.targetFrames) {
      this.playing = true;
      this.smoothedLevel = buffered;
    }
    if (this.playing && buffered > this.maxFrames) {
      this.readPos = this.writePos - this.targetFrames;
      this.smoothedLevel = this.targetFrames;
      buffered = this.targetFrames;
      this.skips++;
    }
    this.smoothedLevel += (buffered - this.smoothedLevel) * Math.min(1, frames / (this.outputRate * levelSmoothingSeconds));
    const error = (this.smoothedLevel - this.targetFrames) / (this.maxFrames - this.targetFrames);
    const step = this.baseStep * (1 + Math.max(-1, Math.min(1, error)) * maxRateCorrection);

    let i = 0;
    if (this.playing) {
      for (; i < frames; i++) {
        const index = Math.floor(this.readPos);
        if (index + 1 >= this.writePos) {
          this.playing = false;
          this.underruns++;
          break;
        }
        const fraction = this.readPos - index;
        const a = index % this.capacity;
        const b = (index + 1) % this.capacity;
        for (let c = 0; c < outputs.length; c++) {
          const ring = this.ring[Math.min(c, this.ring.length - 1)]!;
          outputs[c]![i] = ring[a]! + (ring[b]! - ring[a]!) * fraction;
        }
        this.readPos += step;
      }
    }
    for (const output of outputs) output.fill(0, i);
  }

  /** Drops everything buffered, e.g. after a reconnect. */
  clear(): void {
    this.readPos = this.writePos;
    this.playing = false;
  }

  stats(): JitterBufferStats {
    return {
      bufferedMs: ((this.writePos - this.readPos) / this.inputRate) * 1000,
      playing: this.playing,
      underruns: this.underruns,
      skips: this.skips,
    };
  }
}
