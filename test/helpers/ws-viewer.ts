import WebSocket from 'ws';
import { decodeHeader, type ChunkHeader } from '../../src/protocol/header.js';
import type { HelloMessage } from '../../src/protocol/messages.js';
import { Waits } from './wait.js';

export interface ReceivedChunk extends ChunkHeader {
  payload: Buffer;
  receivedAtUs: number;
}

/** A real `ws` client that records what the daemon sends, with bounded waits. */
export class TestViewer {
  readonly ws: WebSocket;
  readonly chunks: ReceivedChunk[] = [];
  hello: HelloMessage | undefined;
  /** Every hello in order: the first, then one per reload that changed the format. */
  readonly hellos: HelloMessage[] = [];
  /** For each hello, how many chunks had arrived before it (where its format begins in `chunks`). */
  readonly helloAtChunk: number[] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waits = new Waits();

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.waits.wake();
        resolve({ code, reason: this.closeReason });
      });
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        this.hello = JSON.parse(data.toString()) as HelloMessage;
        this.hellos.push(this.hello);
        this.helloAtChunk.push(this.chunks.length);
      } else {
        const decoded = decodeHeader(data);
        if (!decoded.ok) throw new Error(decoded.error);
        this.chunks.push({ ...decoded.header, payload: data.subarray(decoded.payloadOffset), receivedAtUs: Date.now() * 1000 });
      }
      this.waits.wake();
    });
  }

  of(kind: number): ReceivedChunk[] {
    return this.chunks.filter((chunk) => chunk.kind === kind);
  }

  /** Resolves when `condition` holds, checked on every message; rejects after timeoutMs or when the connection closes first. */
  waitFor(condition: () => boolean, timeoutMs = 15000, what = 'condition'): Promise<void> {
    return this.waits
      .until(condition, {
        timeoutMs,
        what,
        abandon: () => (this.closeCode === undefined ? undefined : `connection closed (${this.closeCode} ${this.closeReason})`),
      })
      .then(() => undefined);
  }

  close(): void {
    this.ws.terminate();
  }
}

export function isWholeJpeg(payload: Buffer): boolean {
  return payload.length > 4 && payload[0] === 0xff && payload[1] === 0xd8 && payload.at(-2) === 0xff && payload.at(-1) === 0xd9;
}
