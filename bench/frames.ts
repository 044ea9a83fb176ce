import { renderTestPattern } from '../src/capture/synthetic.js';
import { nowMicros } from '../src/capture/source.js';
import { ChunkKind } from '../src/protocol/header.js';
import { PROTOCOL_VERSION, type HelloMessage } from '../src/protocol/messages.js';

/** Same loop length rule as SyntheticVideoSource, so the references replay the daemon's frames. */
export function loopFrameCount(fps: number): number {
  return Math.min(60, fps * 4);
}

/** PCM the synthetic microphone makes: 48 kHz mono s16le, 20 ms per chunk. */
export const AUDIO_SAMPLE_RATE = 48000;
export const AUDIO_CHANNELS = 1;
export const AUDIO_CHUNK_MS = 20;
export const AUDIO_CHUNK_BYTES = (AUDIO_SAMPLE_RATE / (1000 / AUDIO_CHUNK_MS)) * AUDIO_CHANNELS * 2;

/**
 * The daemon's synthetic JPEG loop at this size, rendered in this process the way
 * SyntheticVideoSource does it (same function, yielding between frames), so a reference server
 * carries the same frames and the same memory left over from rendering as the daemon.
 */
export async function renderTestFrames(width: number, height: number, fps: number): Promise<Buffer[]> {
  const count = loopFrameCount(fps);
  const frames: Buffer[] = [];
  for (let index = 0; index < count; index += 1) {
    frames.push(renderTestPattern(width, height, index, count));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return frames;
}

/** One second of the 440 Hz test tone, as the synthetic microphone makes it. */
function toneSecond(): Buffer {
  const second = Buffer.alloc(AUDIO_SAMPLE_RATE * AUDIO_CHANNELS * 2);
  for (let frame = 0; frame < AUDIO_SAMPLE_RATE; frame += 1) {
    second.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * frame) / AUDIO_SAMPLE_RATE) * 0.3 * 32767), frame * 2);
  }
  return second;
}

/** Runs `tick` at a steady rate against the start time (the daemon's SteadyTicker, copied). */
export class SteadyTicker {
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private ticks = 0;

  constructor(
    private readonly periodMs: number,
    private readonly tick: () => void,
  ) {}

  start(): void {
    this.stop();
    this.startedAt = performance.now();
    this.ticks = 0;
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const due = this.startedAt + this.ticks * this.periodMs;
    this.timer = setTimeout(() => {
      this.ticks += 1;
      const behind = Math.floor((performance.now() - this.startedAt) / this.periodMs) - this.ticks;
      if (behind > 5) this.ticks += behind;
      this.tick();
      if (this.timer) this.schedule();
    }, Math.max(0, due - performance.now()));
  }
}

export interface BenchChunk {
  kind: ChunkKind;
  sequence: number;
  captureTimeUs: number;
  payload: Buffer;
}

/** The reference servers' capture: the daemon's JPEG loop at `fps`, plus 20 ms PCM chunks if asked. */
export class ReplaySource {
  private readonly video: SteadyTicker;
  private readonly audio: SteadyTicker | undefined;
  private videoSequence = 0;
  private audioSequence = 0;
  private audioOffset = 0;
  private readonly tone: Buffer | undefined;

  constructor(
    private readonly frames: Buffer[],
    fps: number,
    withAudio: boolean,
    onChunk: (chunk: BenchChunk) => void,
  ) {
    this.video = new SteadyTicker(1000 / fps, () => {
      const sequence = this.videoSequence++;
      onChunk({ kind: ChunkKind.Jpeg, sequence, captureTimeUs: nowMicros(), payload: this.frames[sequence % this.frames.length]! });
    });
    if (withAudio) {
      this.tone = toneSecond();
      this.audio = new SteadyTicker(AUDIO_CHUNK_MS, () => {
        const tone = this.tone!;
        const payload = tone.subarray(this.audioOffset, this.audioOffset + AUDIO_CHUNK_BYTES);
        this.audioOffset = (this.audioOffset + AUDIO_CHUNK_BYTES) % tone.length;
        onChunk({ kind: ChunkKind.Pcm, sequence: this.audioSequence++, captureTimeUs: nowMicros(), payload });
      });
    }
  }

  start(): void {
    this.video.start();
    this.audio?.start();
  }

  stop(): void {
    this.video.stop();
    this.audio?.stop();
  }
}

/** The hello the daemon sends for the same settings. */
export function helloMessage(width: number, height: number, fps: number, withAudio: boolean): HelloMessage {
  return {
    type: 'hello',
    version: PROTOCOL_VERSION,
    video: { codec: 'jpeg', width, height, fps },
    audio: withAudio ? { codec: 'pcm_s16le', sampleRate: AUDIO_SAMPLE_RATE, channels: AUDIO_CHANNELS } : null,
  };
}

export interface ReferenceServerOptions {
  host: string;
  port: number;
  width: number;
  height: number;
  fps: number;
  audio: boolean;
}

/** argv of the reference servers: --host --port --size WxH --fps N [--audio]. */
export function parseReferenceArgs(argv: string[]): ReferenceServerOptions {
  const options: ReferenceServerOptions = { host: '127.0.0.1', port: 0, width: 1280, height: 720, fps: 30, audio: false };
  for (let index = 0; index < argv.length; index += 1) {
    const name = argv[index];
    const value = argv[index + 1] ?? '';
    if (name === '--audio') {
      options.audio = true;
      continue;
    }
    index += 1;
    if (name === '--host') options.host = value;
    else if (name === '--port') options.port = Number(value);
    else if (name === '--fps') options.fps = Number(value);
    else if (name === '--size') {
      const match = /^(\d+)x(\d+)$/.exec(value);
      if (!match) throw new Error(`--size: expected WxH, got "${value}"`);
      options.width = Number(match[1]);
      options.height = Number(match[2]);
    } else throw new Error(`unknown option ${name}`);
  }
  return options;
}

/** The daemon's log line format, so run.ts finds the port the same way for all three servers. */
export function logListening(host: string, port: number): void {
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'listening', url: `http://${host}:${port}/` })}\n`);
}
