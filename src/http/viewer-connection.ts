import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { FrameHub } from '../hub/frame-hub.js';
import type { HubViewer } from '../hub/viewer.js';
import type { Logger } from '../log.js';
import { ChunkKind } from '../protocol/header.js';
import { CloseCode, parseClientMessage, type HelloMessage } from '../protocol/messages.js';
import type { EndReason, SessionBinding, Transport } from './client-registry.js';
import { webSocketFrame } from './websocket-frame.js';

/** Control messages a viewer may send per second before it is closed. */
const MAX_CONTROL_MESSAGES_PER_SECOND = 20;

export interface ViewerIdentity extends SessionBinding {
  remoteAddress: string;
}

/**
 * One WebSocket viewer: says hello, then takes media from the hub by the hub's send policy and
 * answers subscribe messages. Media frames are framed once per chunk (websocket-frame.ts) and written to the socket
 * directly; `ws` still owns reading, control frames and closing.
 */
export class ViewerConnection implements Transport {
  readonly kind = 'websocket';
  private video = true;
  private audio = true;
  /** Opus captures also deliver PCM, so a viewer may switch to PCM; a PCM capture has no Opus. */
  private audioKind: ChunkKind = ChunkKind.Pcm;
  private readonly viewer: HubViewer;
  private capturesOpus = false;
  private alive = true;
  private messageWindowStart = 0;
  private messagesInWindow = 0;

  constructor(
    readonly ws: WebSocket,
    socket: Socket,
    hello: HelloMessage,
    private readonly hub: FrameHub,
    readonly identity: ViewerIdentity,
    private readonly log: Logger,
  ) {
    this.sendHello(hello);
    this.viewer = hub.attach({
      // The raw socket's queue is what ws.bufferedAmount reports without permessage-deflate, read directly.
      bufferedBytes: () => socket.writableLength,
      write: (chunk) => {
        if (ws.readyState === ws.OPEN) socket.write(chunk.as(webSocketFrame));
      },
      wants: (kind) => (kind === ChunkKind.Jpeg ? this.video : this.audio && kind === this.audioKind),
      whenDrained: (callback) => socket.once('drain', callback),
      disconnect: (reason) => {
        this.log.info({ remote: identity.remoteAddress, reason }, 'viewer stuck over its send limit: terminated');
        ws.terminate();
      },
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('error', (error) => this.log.debug({ err: error.message }, 'viewer socket error'));
    ws.on('close', (code) => {
      hub.detach(this.viewer);
      this.log.info({ remote: identity.remoteAddress, code, ...this.viewer.counters }, 'viewer left');
    });
    const latest = hub.latest(ChunkKind.Jpeg);
    // A new viewer sees the current picture at once instead of waiting for the next frame.
    if (latest) this.viewer.offer(latest);
  }

  /** Says what the streams are: first thing, and again when a reload changed them (the viewer subscribes anew). */
  sendHello(hello: HelloMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.audioKind = hello.audio?.codec === 'opus' ? ChunkKind.Opus : ChunkKind.Pcm;
    this.capturesOpus = this.audioKind === ChunkKind.Opus;
    this.ws.send(JSON.stringify(hello));
  }

  /** Called every heartbeat interval: a viewer that missed the last ping is cut off. */
  heartbeat(): void {
    if (!this.alive) {
      this.log.info({ remote: this.identity.remoteAddress }, 'viewer did not answer ping: terminated');
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  get sessionId(): string | undefined {
    return this.identity.sessionId;
  }

  get sessionExpiresAtMs(): number | undefined {
    return this.identity.sessionExpiresAtMs;
  }

  end(reason: EndReason): void {
    if (reason === 'shutdown') this.ws.close(CloseCode.GoingAway, 'server shutting down');
    else this.ws.close(CloseCode.PolicyViolation, reason);
  }

  get counters(): HubViewer['counters'] {
    return this.viewer.counters;
  }

  private onMessage(data: unknown, isBinary: boolean): void {
    const now = performance.now();
    if (now - this.messageWindowStart >= 1000) {
      this.messageWindowStart = now;
      this.messagesInWindow = 0;
    }
    this.messagesInWindow += 1;
    if (this.messagesInWindow > MAX_CONTROL_MESSAGES_PER_SECOND) {
      this.refuse(CloseCode.PolicyViolation, 'too many messages');
      return;
    }
    if (isBinary) {
      this.refuse(CloseCode.UnsupportedData, 'binary messages are not accepted');
      return;
    }
    const parsed = parseClientMessage(String(data));
    if (!parsed.ok) {
      this.refuse(parsed.closeCode, parsed.reason);
      return;
    }
    this.video = parsed.message.video;
    this.audio = parsed.message.audio;
    const { audioCodec } = parsed.message;
    if (audioCodec === 'pcm_s16le') this.audioKind = ChunkKind.Pcm;
    else if (audioCodec === 'opus' && this.capturesOpus) this.audioKind = ChunkKind.Opus;
    this.log.debug({ video: this.video, audio: this.audio, audioKind: this.audioKind }, 'viewer subscribed');
    if (this.video) {
      const latest = this.hub.latest(ChunkKind.Jpeg);
      if (latest) this.viewer.offer(latest);
    }
  }

  private refuse(code: number, reason: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.log.info({ remote: this.identity.remoteAddress, code, reason }, 'viewer closed for a bad message');
    this.ws.close(code, reason);
  }
}
