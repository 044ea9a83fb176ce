import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo, Server } from 'node:net';
import { SteadyTicker } from '../src/capture/sources/steady-ticker.js';
import { testToneSecond } from '../src/capture/sources/synthetic.js';
import { loopFrameCount, renderTestPattern } from '../src/capture/sources/test-pattern.js';
import { AUDIO_CHUNK_MS, nowMicros } from '../src/capture/source.js';
import { ChunkKind } from '../src/protocol/header.js';
import { PROTOCOL_VERSION, type HelloMessage } from '../src/protocol/messages.js';

/** PCM the synthetic microphone makes: 48 kHz mono s16le, 20 ms per chunk. */
export const AUDIO_SAMPLE_RATE = 48000;
export const AUDIO_CHANNELS = 1;
export { AUDIO_CHUNK_MS };
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

export interface BenchChunk {
  kind: ChunkKind;
  sequence: number;
  captureTimeUs: number;
  payload: Buffer;
}

/** What feeds a reference server: started once it listens, stopped at its end. */
export interface ChunkSource {
  start(): void;
  stop(): void;
}

/** The reference servers' capture: the daemon's JPEG loop at `fps`, plus 20 ms PCM chunks if asked. */
export class ReplaySource implements ChunkSource {
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
      this.tone = testToneSecond(AUDIO_SAMPLE_RATE, AUDIO_CHANNELS);
      this.audio = new SteadyTicker(AUDIO_CHUNK_MS, () => {
        const tone = this.tone!;
        const payload = tone.subarray(this.audioOffset, this.audioOffset + AUDIO_CHUNK_BYTES);
        this.audioOffset = (this.audioOffset + AUDIO_CHUNK_BYTES) % tone.length;
        onChunk({ kind: ChunkKind.Pcm, sequence: this.audioSequence++, captureTimeUs: nowMicros(), payload });
      });
    }
  }

  start(): void {
    void this.video.start();
    void this.audio?.start();
  }

  stop(): void {
    void this.video.stop();
    void this.audio?.stop();
  }
}

const JPEG_EOI = Buffer.from([0xff, 0xd9]);

/**
 * `--source ffmpeg` for a reference server: the same ffmpeg command as the daemon's capture, its
 * stdout cut at each EOI with indexOf (ffmpeg's own JPEGs carry no thumbnail, so the first FFD9 ends
 * the frame) — the least a Node process can do to turn that byte stream into frames.
 */
export class FfmpegFeed implements ChunkSource {
  private child: ChildProcess | undefined;
  private pending: Buffer[] = [];
  private sequence = 0;

  constructor(
    private readonly argv: string[],
    private readonly onChunk: (chunk: BenchChunk) => void,
  ) {}

  start(): void {
    const [file, ...args] = this.argv;
    const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    child.stdout.on('data', (data: Buffer) => this.cut(data));
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  private cut(data: Buffer): void {
    let start = 0;
    // An EOI split across two reads: its FF ended the previous one.
    if (data[0] === 0xd9 && this.pending.at(-1)?.at(-1) === 0xff) {
      this.emit(data.subarray(0, 1));
      start = 1;
    }
    for (let eoi = data.indexOf(JPEG_EOI, start); eoi >= 0; eoi = data.indexOf(JPEG_EOI, start)) {
      this.emit(data.subarray(start, eoi + 2));
      start = eoi + 2;
    }
    if (start < data.length) this.pending.push(data.subarray(start));
  }

  /** The last piece of a frame: with what came before it, one payload. */
  private emit(last: Buffer): void {
    const payload = this.pending.length === 0 ? last : Buffer.concat([...this.pending, last]);
    this.pending = [];
    this.onChunk({ kind: ChunkKind.Jpeg, sequence: this.sequence++, captureTimeUs: nowMicros(), payload });
  }
}

/** A reference server's source: the ffmpeg command given with `--ffmpeg`, else the daemon's loop rendered here. */
export async function referenceSource(options: ReferenceServerOptions, onChunk: (chunk: BenchChunk) => void): Promise<ChunkSource> {
  if (options.ffmpeg) return new FfmpegFeed(options.ffmpeg, onChunk);
  const frames = await renderTestFrames(options.width, options.height, options.fps);
  return new ReplaySource(frames, options.fps, options.audio, onChunk);
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
  /** The daemon's ffmpeg capture command (program first), for `--source ffmpeg`. */
  ffmpeg?: string[];
}

/** argv of the reference servers: --host --port --size WxH --fps N [--audio] [--ffmpeg JSON-ARGV]. */
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
    else if (name === '--ffmpeg') options.ffmpeg = JSON.parse(value) as string[];
    else if (name === '--size') {
      const match = /^(\d+)x(\d+)$/.exec(value);
      if (!match) throw new Error(`--size: expected WxH, got "${value}"`);
      options.width = Number(match[1]);
      options.height = Number(match[2]);
    } else throw new Error(`unknown option ${name}`);
  }
  return options;
}

/**
 * A reference server's life: listen, start the replay, log the port as the daemon does; on SIGTERM
 * or SIGINT stop the replay, end every connection (`endAll`) and exit normally, so --cpu-prof can
 * write its profile.
 */
export function serveReference(server: Server, options: ReferenceServerOptions, source: ChunkSource, endAll: () => void): void {
  server.listen(options.port, options.host, () => {
    source.start();
    logListening(options.host, (server.address() as AddressInfo).port);
  });
  const stop = () => {
    source.stop();
    endAll();
    server.close();
    setImmediate(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The daemon's log line format, so run.ts finds the port the same way for all three servers. */
export function logListening(host: string, port: number): void {
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'listening', url: `http://${host}:${port}/` })}\n`);
}
