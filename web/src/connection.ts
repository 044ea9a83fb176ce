import { decodeHeader, type ChunkHeader } from '../../src/protocol/header.js';
import type { HelloMessage, SubscribeMessage } from '../../src/protocol/messages.js';
import { reconnectDelayMs } from './backoff.js';
import { wallClockMs } from './stats.js';

export interface ConnectionEvents {
  onHello(hello: HelloMessage): void;
  onChunk(header: ChunkHeader, payload: Uint8Array<ArrayBuffer>, byteLength: number, receivedAt: number): void;
  /** The socket closed; `beforeHello` means it never got as far as the stream (refused, unreachable, auth). */
  onClosed(info: { beforeHello: boolean; code: number; reason: string }): void;
  /** Seconds until the next attempt, every second while waiting. */
  onCountdown(secondsLeft: number): void;
  onConnecting(): void;
}

/** The /ws URL of the page's own host, ws: or wss: to match the page. */
export function streamUrl(location: Location = window.location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

function isHello(value: unknown): value is HelloMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'hello';
}

/** One WebSocket to /ws at a time, with reconnects on an exponential backoff the owner triggers. */
export class StreamConnection {
  private socket: WebSocket | null = null;
  private helloSeen = false;
  private failures = 0;
  private retryTimer: number | undefined;
  private countdownTimer: number | undefined;

  constructor(
    private readonly url: string,
    private readonly events: ConnectionEvents,
  ) {}

  get open(): boolean {
    return this.socket?.readyState === WebSocket.OPEN && this.helloSeen;
  }

  connect(): void {
    this.cancelRetry();
    this.dropSocket();
    this.helloSeen = false;
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => this.receive(event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.helloSeen) this.failures++;
      this.events.onClosed({ beforeHello: !this.helloSeen, code: event.code, reason: event.reason });
    };
    this.events.onConnecting();
  }

  /** Waits the next backoff delay, counting down, then connects again. */
  retryLater(): void {
    this.cancelRetry();
    const delay = reconnectDelayMs(Math.max(0, this.failures - 1));
    const deadline = Date.now() + delay;
    const tick = () => this.events.onCountdown(Math.max(1, Math.ceil((deadline - Date.now()) / 1000)));
    tick();
    this.countdownTimer = window.setInterval(tick, 250);
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }

  /** Closes without reconnecting (logout, login form shown). */
  disconnect(): void {
    this.cancelRetry();
    this.dropSocket();
  }

  send(message: SubscribeMessage): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private receive(data: ArrayBuffer | string): void {
    const receivedAt = wallClockMs();
    if (typeof data === 'string') {
      let message: unknown;
      try {
        message = JSON.parse(data);
      } catch {
        return;
      }
      if (isHello(message)) {
        this.helloSeen = true;
        this.failures = 0;
        this.events.onHello(message);
      }
      return;
    }
    const bytes = new Uint8Array(data);
    const decoded = decodeHeader(bytes);
    if (!decoded.ok) return;
    this.events.onChunk(decoded.header, bytes.subarray(decoded.payloadOffset), data.byteLength, receivedAt);
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    socket.onmessage = null;
    socket.onclose = null;
    if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close(1000);
  }

  private cancelRetry(): void {
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.countdownTimer);
    this.retryTimer = undefined;
    this.countdownTimer = undefined;
  }
}
