import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { nowMicros } from '../../src/capture/source.js';
import { ChunkFlag, ChunkKind, decodeHeader, HEADER_BYTES } from '../../src/protocol/header.js';
import type { HelloMessage, VideoCodecName } from '../../src/protocol/messages.js';

/** One received video chunk, kept when the viewer records. */
export interface RecordedFrame {
  sequence: number;
  keyframe: boolean;
  payload: Buffer;
}

export interface ViewerWindow {
  seconds: number;
  /** Bytes read off the socket (WebSocket framing and headers included): what the link carries. */
  wireBytes: number;
  frames: number;
  gaps: number;
  /** H.264: a frame after a gap that was not a keyframe (the hub must never send one). */
  nonKeyframeAfterGap: number;
  /** Capture → arrival of the last byte, the worst frame of the window. */
  maxLatencyMs: number;
}

export interface ViewerOptions {
  url: string;
  /** Sent in a subscribe message when set (the daemon's default otherwise). */
  videoCodec?: VideoCodecName;
  record?: boolean;
}

/** A real `ws` client of /ws that counts what reaches it and can keep the video it got. */
export class BenchViewer {
  readonly ws: WebSocket;
  hello: HelloMessage | undefined;
  readonly connectedAt = performance.now();
  /** performance.now() of the first video chunk, and what it was. */
  firstFrame: { at: number; kind: number; keyframe: boolean } | undefined;
  readonly recorded: RecordedFrame[] = [];
  error: string | undefined;
  /** The socket closed (the daemon's doing, unless close() was called). */
  closed = false;
  private socket: Socket | undefined;
  private lastSequence: number | undefined;
  private frames = 0;
  private gaps = 0;
  private nonKeyframeAfterGap = 0;
  private maxLatencyMs = 0;
  /** performance.now() of the first skipped frame seen. */
  firstGapAt: number | undefined;
  private windowStart: { at: number; bytes: number; frames: number; gaps: number; bad: number } | undefined;
  readonly opened: Promise<void>;

  constructor(private readonly options: ViewerOptions) {
    this.ws = new WebSocket(options.url, { perMessageDeflate: false });
    this.ws.on('upgrade', (response) => {
      this.socket = response.socket;
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.opened.catch(() => {});
    this.ws.on('close', () => {
      this.closed = true;
    });
    this.ws.on('error', (error) => {
      this.error ??= error.message;
    });
    this.ws.on('message', (data: Buffer, isBinary) => (isBinary ? this.onChunk(data) : this.onText(data)));
  }

  private onText(data: Buffer): void {
    const message = JSON.parse(data.toString()) as { type?: string };
    if (message.type !== 'hello') return;
    this.hello = message as HelloMessage;
    if (this.options.videoCodec)
      this.ws.send(JSON.stringify({ type: 'subscribe', video: true, audio: false, videoCodec: this.options.videoCodec }));
  }

  private onChunk(data: Buffer): void {
    const decoded = decodeHeader(data);
    if (!decoded.ok) {
      this.error ??= decoded.error;
      return;
    }
    const { kind, flags, sequence, captureTimeUs } = decoded.header;
    if (kind !== ChunkKind.Jpeg && kind !== ChunkKind.H264) return;
    const keyframe = kind === ChunkKind.Jpeg || (flags & ChunkFlag.Keyframe) !== 0;
    this.firstFrame ??= { at: performance.now(), kind, keyframe };
    if (this.lastSequence !== undefined && sequence > this.lastSequence + 1) {
      this.gaps += sequence - this.lastSequence - 1;
      this.firstGapAt ??= performance.now();
      if (!keyframe) this.nonKeyframeAfterGap += 1;
    }
    if (this.windowStart) this.maxLatencyMs = Math.max(this.maxLatencyMs, (nowMicros() - captureTimeUs) / 1000);
    this.lastSequence = sequence;
    this.frames += 1;
    if (this.options.record && this.windowStart) this.recorded.push({ sequence, keyframe, payload: data.subarray(HEADER_BYTES) });
  }

  startWindow(): void {
    this.maxLatencyMs = 0;
    this.windowStart = {
      at: performance.now(),
      bytes: this.socket?.bytesRead ?? 0,
      frames: this.frames,
      gaps: this.gaps,
      bad: this.nonKeyframeAfterGap,
    };
  }

  endWindow(): ViewerWindow {
    const start = this.windowStart ?? { at: performance.now(), bytes: 0, frames: 0, gaps: 0, bad: 0 };
    this.windowStart = undefined;
    return {
      seconds: (performance.now() - start.at) / 1000,
      wireBytes: (this.socket?.bytesRead ?? 0) - start.bytes,
      frames: this.frames - start.frames,
      gaps: this.gaps - start.gaps,
      nonKeyframeAfterGap: this.nonKeyframeAfterGap - start.bad,
      maxLatencyMs: this.maxLatencyMs,
    };
  }

  close(): void {
    this.ws.terminate();
  }
}

/**
 * The longest run of consecutive sequences in a recording that a decoder can start from
 * (its first frame a keyframe): frame i of it is source frame `first + i` (capture order).
 */
export function longestDecodableRun(frames: RecordedFrame[]): RecordedFrame[] {
  let best: RecordedFrame[] = [];
  let start = 0;
  for (let i = 1; i <= frames.length; i++) {
    if (i < frames.length && frames[i]!.sequence === frames[i - 1]!.sequence + 1) continue;
    let first = start;
    while (first < i && !frames[first]!.keyframe) first++;
    if (i - first > best.length) best = frames.slice(first, i);
    start = i;
  }
  return best;
}
