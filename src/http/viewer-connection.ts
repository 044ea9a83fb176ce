import type { Socket } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import type { WebSocket } from 'ws';
import type { H264Format } from '../capture/source.js';
import { withVideoFormat } from '../hello.js';
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
 * In H.264 mode the hello carries the SPS's format, so it waits for the first keyframe when none is known yet,
 * and nothing else goes out before it; a keyframe of another format is preceded by a new hello.
 */
export class ViewerConnection implements Transport {
  readonly kind = 'websocket';
  private video = true;
  private audio = true;
  /** The hello as the config makes it; for H.264 completed from the stream's format before it goes out. */
  private hello: HelloMessage;
  /** The format the last H.264 hello said; undefined while the viewer waits for one. */
  private told: H264Format | undefined;
  private helloSent = false;
  /** What the viewer asked for with subscribe videoCodec; it gets H.264 only when the capture makes it. */
  private wantsJpeg = false;
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
    this.hello = hello;
    this.sendHello(hello);
    this.viewer = hub.attach({
      // The raw socket's queue is what ws.bufferedAmount reports without permessage-deflate, read directly.
      bufferedBytes: () => socket.writableLength,
      write: (chunk) => {
        if (ws.readyState !== ws.OPEN) return 0;
        return chunk.writeTo(socket, webSocketFrame);
      },
      wants: (kind) =>
        this.helloSent &&
        (kind === ChunkKind.Jpeg || kind === ChunkKind.H264
          ? this.video && kind === this.videoKind()
          : this.audio && kind === this.audioKind),
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
    // The hub says so before a keyframe of a new format reaches any viewer, so the hello goes first.
    const onVideoFormat = (format: H264Format) => this.videoFormatChanged(format);
    hub.on('videoFormat', onVideoFormat);
    ws.on('close', (code) => {
      hub.off('videoFormat', onVideoFormat);
      hub.detach(this.viewer);
      this.log.info({ remote: identity.remoteAddress, code, ...this.viewer.counters }, 'viewer left');
    });
    this.offerCurrentPicture();
  }

  /**
   * Says what the streams are: first thing, and again when a reload changed them (the viewer subscribes anew).
   * An H.264 hello goes out once the hub knows the stream's format; until then the viewer gets nothing.
   */
  sendHello(hello: HelloMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.hello = hello;
    this.audioKind = hello.audio?.codec === 'opus' ? ChunkKind.Opus : ChunkKind.Pcm;
    this.capturesOpus = this.audioKind === ChunkKind.Opus;
    this.told = undefined;
    if (hello.video.codec === 'h264') {
      const format = this.hub.videoFormat;
      this.helloSent = false;
      if (format !== undefined) this.sendH264Hello(format);
      return;
    }
    this.ws.send(JSON.stringify(hello));
    this.helloSent = true;
  }

  /** The hub saw a keyframe of a new format (before offering it): a viewer told otherwise, or not yet, hears it first. */
  private videoFormatChanged(format: H264Format): void {
    if (this.hello.video.codec !== 'h264' || isDeepStrictEqual(format, this.told) || this.ws.readyState !== this.ws.OPEN) return;
    const first = !this.helloSent;
    this.sendH264Hello(format);
    // A viewer that waited for its hello starts from the current GOP like any other (the keyframe comes next).
    if (first) this.offerCurrentPicture();
  }

  private sendH264Hello(format: H264Format): void {
    this.ws.send(JSON.stringify(withVideoFormat(this.hello, format)));
    this.told = format;
    this.helloSent = true;
  }

  /** Kind 4 in H.264 mode unless the viewer asked for JPEG; kind 1 in JPEG mode whatever it asked. */
  private videoKind(): ChunkKind {
    return this.hello.video.codec === 'h264' && !this.wantsJpeg ? ChunkKind.H264 : ChunkKind.Jpeg;
  }

  /** A new or resubscribed viewer sees the current picture at once: the latest JPEG, or the current GOP in order. */
  private offerCurrentPicture(): void {
    if (!this.video || !this.helloSent) return;
    if (this.videoKind() === ChunkKind.H264) {
      for (const unit of this.hub.currentGop()) this.viewer.offer(unit);
      return;
    }
    const latest = this.hub.latest(ChunkKind.Jpeg);
    if (latest) this.viewer.offer(latest);
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
    const { audioCodec, videoCodec } = parsed.message;
    if (audioCodec === 'pcm_s16le') this.audioKind = ChunkKind.Pcm;
    else if (audioCodec === 'opus' && this.capturesOpus) this.audioKind = ChunkKind.Opus;
    if (videoCodec !== undefined) this.wantsJpeg = videoCodec === 'jpeg';
    this.log.debug({ video: this.video, audio: this.audio, audioKind: this.audioKind, videoKind: this.videoKind() }, 'viewer subscribed');
    this.offerCurrentPicture();
  }

  private refuse(code: number, reason: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.log.info({ remote: this.identity.remoteAddress, code, reason }, 'viewer closed for a bad message');
    this.ws.close(code, reason);
  }
}
