import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { nowMicros } from '../src/capture/source.js';
import { ChunkKind, decodeHeader, HEADER_BYTES } from '../src/protocol/header.js';
import type { Transport, ViewerCommand, ViewerEvent, ViewerResult } from './ipc.js';
import { percentiles, SampleBuffer } from './stats.js';

/**
 * The viewers process: many minimal raw-TCP WebSocket readers on one event loop, driven by run.ts
 * over IPC. A reader never copies a payload: it keeps the frame header and the 16-byte media
 * header, skips the rest, and reads into one shared buffer (net `onread`), so it stays cheap.
 */

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const CONNECT_TIMEOUT_MS = 10_000;
const CONNECT_CONCURRENCY = 8;
const MAX_CONTROL_PAYLOAD = 1 << 20;
const readBuffer = Buffer.allocUnsafe(256 * 1024);

const enum State {
  Handshake,
  Head,
  Media,
  Skip,
  Control,
}

let measuring = false;
let windowStartUs = 0;
const videoLatency = new SampleBuffer();
const audioLatency = new SampleBuffer();
const errors: string[] = [];

function noteError(message: string): void {
  if (errors.length < 10) errors.push(message);
}

/**
 * What every bench viewer shares: the connection, its open/close bookkeeping and the window's
 * counters. A subclass sends its request and parses what arrives; a stalled viewer stops reading
 * once `helloSeen` (the WebSocket hello, or the MJPEG response head).
 */
abstract class BenchViewer {
  readonly socket: Socket;
  open = false;
  closed = false;
  helloSeen = false;
  totalVideo = 0;
  /** Counted in the measured window. */
  video = 0;
  audio = 0;
  videoGaps = 0;
  audioGaps = 0;
  outOfOrder = 0;
  bytes = 0;
  /** Frames parsed before a stalled viewer stopped reading. */
  framesBeforeStall = 0;
  private onOpen: ((error?: Error) => void) | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    host: string,
    port: number,
    protected readonly path: string,
    readonly stalled: boolean,
    onOpen: (error?: Error) => void,
  ) {
    this.onOpen = onOpen;
    this.socket = connect({
      host,
      port,
      onread: {
        buffer: readBuffer,
        callback: (nread: number, buffer: Uint8Array) => {
          if (nread > 0) {
            if (measuring) this.bytes += nread;
            this.read(buffer as Buffer, nread);
          }
          return !(this.stalled && this.helloSeen);
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => this.socket.write(this.request(host, port)));
    this.socket.on('error', (error) => this.settle(error));
    this.socket.on('close', () => {
      this.closed = true;
      // The daemon ends a viewer stuck over its send limit: expected for stalled ones.
      if (!this.onOpen && measuring && !this.stalled) noteError("a fast viewer's connection closed while measuring");
      this.settle(new Error('closed before it opened'));
    });
    this.timer = setTimeout(() => {
      if (!this.onOpen) return;
      this.settle(new Error('open timeout'));
      this.socket.destroy();
    }, CONNECT_TIMEOUT_MS);
  }

  protected abstract request(host: string, port: number): string;

  /** nread > 0 bytes arrived in buffer. */
  protected abstract read(buffer: Buffer, nread: number): void;

  protected settle(error?: Error): void {
    const done = this.onOpen;
    if (!done) return;
    this.onOpen = undefined;
    clearTimeout(this.timer);
    done(error);
  }

  resetWindow(): void {
    this.video = 0;
    this.audio = 0;
    this.videoGaps = 0;
    this.audioGaps = 0;
    this.outOfOrder = 0;
    this.bytes = 0;
  }
}

class RawViewer extends BenchViewer {
  private lastVideo = -1;
  private lastAudio = -1;
  private state = State.Handshake;
  private handshake = Buffer.alloc(0);
  private readonly key = randomBytes(16).toString('base64');
  private readonly head = Buffer.alloc(14);
  private headLength = 0;
  private headNeed = 2;
  private opcode = 0;
  private readonly media = Buffer.alloc(HEADER_BYTES);
  private mediaLength = 0;
  private remaining = 0;
  private isMedia = false;
  private control = Buffer.alloc(0);
  private controlLength = 0;

  protected request(host: string, port: number): string {
    return (
      `GET ${this.path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
    );
  }

  protected read(buffer: Buffer, nread: number): void {
    if (this.state === State.Handshake) {
      this.handshake = Buffer.concat([this.handshake, buffer.subarray(0, nread)]);
      const end = this.handshake.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.handshake.subarray(0, end).toString('latin1');
      const rest = this.handshake.subarray(end + 4);
      this.handshake = Buffer.alloc(0);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
      const accept = /^sec-websocket-accept:\s*(\S+)/im.exec(head)?.[1];
      const expected = createHash('sha1')
        .update(this.key + WS_GUID)
        .digest('base64');
      if (status !== '101' || accept !== expected) {
        this.settle(new Error(`upgrade refused: ${status ?? head.slice(0, 40)}`));
        this.socket.destroy();
        return;
      }
      this.state = State.Head;
      this.open = true;
      this.settle();
      this.feed(rest, 0, rest.length, nowMicros());
      return;
    }
    this.feed(buffer, 0, nread, nowMicros());
  }

  /** Parses server frames (never masked) from buffer[start, end); arrivedUs is when these bytes came. */
  private feed(buffer: Buffer, start: number, end: number, arrivedUs: number): void {
    let index = start;
    while (index < end) {
      switch (this.state) {
        case State.Head: {
          this.head[this.headLength++] = buffer[index++]!;
          if (this.headLength === 2) {
            const length7 = this.head[1]! & 0x7f;
            this.headNeed = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (this.head[1]! & 0x80 ? 4 : 0);
          }
          if (this.headLength === this.headNeed) this.beginPayload(arrivedUs);
          break;
        }
        case State.Media: {
          const take = Math.min(HEADER_BYTES - this.mediaLength, end - index, this.remaining);
          buffer.copy(this.media, this.mediaLength, index, index + take);
          this.mediaLength += take;
          this.remaining -= take;
          index += take;
          if (this.mediaLength === HEADER_BYTES) this.state = State.Skip;
          if (this.remaining === 0) this.endPayload(arrivedUs);
          break;
        }
        case State.Skip: {
          const take = Math.min(this.remaining, end - index);
          this.remaining -= take;
          index += take;
          if (this.remaining === 0) this.endPayload(arrivedUs);
          break;
        }
        case State.Control: {
          const take = Math.min(this.control.length - this.controlLength, end - index);
          buffer.copy(this.control, this.controlLength, index, index + take);
          this.controlLength += take;
          index += take;
          if (this.controlLength === this.control.length) this.endPayload(arrivedUs);
          break;
        }
        default:
          return;
      }
    }
  }

  private beginPayload(arrivedUs: number): void {
    const length7 = this.head[1]! & 0x7f;
    const length = length7 === 126 ? this.head.readUInt16BE(2) : length7 === 127 ? Number(this.head.readBigUInt64BE(2)) : length7;
    this.opcode = this.head[0]! & 0x0f;
    this.headLength = 0;
    this.headNeed = 2;
    this.remaining = length;
    this.isMedia = this.opcode === 2 && length >= HEADER_BYTES;
    if (this.isMedia) {
      this.mediaLength = 0;
      this.state = State.Media;
    } else if (this.opcode === 1 || this.opcode === 8 || this.opcode === 9) {
      if (length > MAX_CONTROL_PAYLOAD) {
        noteError(`text/control message of ${length} bytes`);
        this.socket.destroy();
        this.state = State.Handshake;
        return;
      }
      this.control = Buffer.allocUnsafe(length);
      this.controlLength = 0;
      this.state = State.Control;
    } else {
      this.state = State.Skip;
    }
    if (length === 0) this.endPayload(arrivedUs);
  }

  private endPayload(arrivedUs: number): void {
    this.state = State.Head;
    if (this.isMedia) {
      this.isMedia = false;
      this.onMedia(arrivedUs);
      return;
    }
    switch (this.opcode) {
      case 1:
        if (!this.helloSeen) {
          this.helloSeen = true;
          // A stalled viewer is a phone on a dead link: handshake done, then it never reads again.
          if (this.stalled) this.socket.pause();
        }
        break;
      case 8: {
        const code = this.control.length >= 2 ? this.control.readUInt16BE(0) : 1005;
        noteError(`server closed a ${this.stalled ? 'stalled' : 'fast'} viewer: ${code} ${this.control.subarray(2).toString()}`);
        this.socket.destroy();
        break;
      }
      case 9: {
        // Pong with the ping's payload; client frames must be masked (an all-zero key is fine).
        const payload = this.control.subarray(0, Math.min(125, this.control.length));
        this.socket.write(Buffer.concat([Buffer.from([0x8a, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
        break;
      }
    }
  }

  private onMedia(arrivedUs: number): void {
    const decoded = decodeHeader(this.media);
    if (!decoded.ok) {
      noteError(decoded.error);
      return;
    }
    const { kind, sequence, captureTimeUs } = decoded.header;
    if (this.stalled) {
      this.framesBeforeStall += 1;
      return;
    }
    if (kind === ChunkKind.Jpeg) {
      this.totalVideo += 1;
      if (measuring) {
        this.video += 1;
        if (this.lastVideo >= 0 && sequence > this.lastVideo + 1) this.videoGaps += sequence - this.lastVideo - 1;
        if (this.lastVideo >= 0 && sequence <= this.lastVideo) this.outOfOrder += 1;
        videoLatency.push(arrivedUs - captureTimeUs);
      }
      this.lastVideo = sequence;
    } else {
      if (measuring) {
        this.audio += 1;
        if (this.lastAudio >= 0 && sequence > this.lastAudio + 1) this.audioGaps += sequence - this.lastAudio - 1;
        if (this.lastAudio >= 0 && sequence <= this.lastAudio) this.outOfOrder += 1;
        audioLatency.push(arrivedUs - captureTimeUs);
      }
      this.lastAudio = sequence;
    }
  }
}

const enum PartState {
  ResponseHead,
  Headers,
  Body,
  Done,
}

/** Bytes of a multipart part head kept at most (the daemon's is ~110). */
const MAX_PART_HEAD = 1024;

/**
 * One /stream.mjpg reader: HTTP response head, then multipart parts, through HTTP chunked
 * transfer coding when the server uses it. Keeps each part's head (for Content-Length and
 * X-Timestamp, the capture time in s) and skips the JPEG. MJPEG parts carry no sequence, so gaps
 * are not counted; a capture time not newer than the last one counts as out of order.
 */
class MjpegViewer extends BenchViewer {
  private lastCaptureUs = -1;
  private state = PartState.ResponseHead;
  private head = Buffer.alloc(0);
  private chunked = false;
  /** Chunked coding: bytes left in the current chunk; the chunk-size line being read. */
  private chunkLeft = 0;
  private sizeLine = '';
  private crlfToSkip = 0;
  private readonly partHead = Buffer.alloc(MAX_PART_HEAD);
  private partHeadLength = 0;
  private bodyLeft = 0;
  private captureUs = 0;

  protected request(host: string, port: number): string {
    return `GET ${this.path} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`;
  }

  protected read(buffer: Buffer, nread: number): void {
    const arrivedUs = nowMicros();
    if (this.state !== PartState.ResponseHead) {
      this.decode(buffer, 0, nread, arrivedUs);
      return;
    }
    this.head = Buffer.concat([this.head, buffer.subarray(0, nread)]);
    const end = this.head.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.head.subarray(0, end).toString('latin1');
    const rest = this.head.subarray(end + 4);
    this.head = Buffer.alloc(0);
    const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
    if (status !== '200' || !/^content-type:\s*multipart\/x-mixed-replace/im.test(head)) {
      this.settle(new Error(`stream refused: ${status ?? head.slice(0, 40)}`));
      this.socket.destroy();
      return;
    }
    this.chunked = /^transfer-encoding:\s*chunked/im.test(head);
    this.state = PartState.Headers;
    this.open = true;
    // The response head stands for the WebSocket hello: a stalled viewer stops reading here.
    this.helloSeen = true;
    if (this.stalled) this.socket.pause();
    this.settle();
    this.decode(rest, 0, rest.length, arrivedUs);
  }

  /** Undoes the chunked transfer coding (if any) and hands the body bytes to the part parser. */
  private decode(buffer: Buffer, start: number, end: number, arrivedUs: number): void {
    if (!this.chunked) {
      this.parts(buffer, start, end, arrivedUs);
      return;
    }
    let index = start;
    while (index < end) {
      if (this.crlfToSkip > 0) {
        const take = Math.min(this.crlfToSkip, end - index);
        this.crlfToSkip -= take;
        index += take;
      } else if (this.chunkLeft > 0) {
        const take = Math.min(this.chunkLeft, end - index);
        this.parts(buffer, index, index + take, arrivedUs);
        this.chunkLeft -= take;
        index += take;
        if (this.chunkLeft === 0) this.crlfToSkip = 2;
      } else {
        const byte = buffer[index++]!;
        if (byte !== 0x0a) {
          if (byte !== 0x0d) this.sizeLine += String.fromCharCode(byte);
          continue;
        }
        this.chunkLeft = parseInt(this.sizeLine, 16);
        this.sizeLine = '';
        if (!Number.isFinite(this.chunkLeft) || this.chunkLeft === 0) {
          noteError('chunked body ended or malformed');
          this.socket.destroy();
          return;
        }
      }
    }
  }

  /** Multipart parts: a head up to an empty line, Content-Length bytes of JPEG, then CRLF. */
  private parts(buffer: Buffer, start: number, end: number, arrivedUs: number): void {
    let index = start;
    while (index < end) {
      if (this.state === PartState.Headers) {
        const byte = buffer[index++]!;
        if (this.partHeadLength === MAX_PART_HEAD) {
          noteError('part head too long');
          this.socket.destroy();
          return;
        }
        this.partHead[this.partHeadLength++] = byte;
        const n = this.partHeadLength;
        // Leading CRLFs (between parts) are skipped; the head ends with an empty line.
        if (n <= 2 && (byte === 0x0d || byte === 0x0a) && this.partHead[0] !== 0x2d) {
          this.partHeadLength = byte === 0x0a ? 0 : n;
          continue;
        }
        if (n >= 4 && byte === 0x0a && this.partHead[n - 2] === 0x0d && this.partHead[n - 3] === 0x0a) this.beginBody();
      } else if (this.state === PartState.Body) {
        const take = Math.min(this.bodyLeft, end - index);
        this.bodyLeft -= take;
        index += take;
        if (this.bodyLeft === 0) {
          this.state = PartState.Headers;
          this.onFrame(arrivedUs);
        }
      } else {
        return;
      }
    }
  }

  private beginBody(): void {
    const head = this.partHead.toString('latin1', 0, this.partHeadLength);
    this.partHeadLength = 0;
    const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1]);
    const timestamp = /^x-timestamp:\s*(\d+)\.(\d{6})/im.exec(head);
    if (!Number.isFinite(length) || !timestamp) {
      noteError(`part without Content-Length or X-Timestamp: ${head.slice(0, 60)}`);
      this.socket.destroy();
      this.state = PartState.Done;
      return;
    }
    this.captureUs = Number(timestamp[1]) * 1e6 + Number(timestamp[2]);
    this.bodyLeft = length;
    this.state = PartState.Body;
  }

  private onFrame(arrivedUs: number): void {
    if (this.stalled) {
      this.framesBeforeStall += 1;
      return;
    }
    this.totalVideo += 1;
    if (measuring) {
      this.video += 1;
      if (this.captureUs <= this.lastCaptureUs) this.outOfOrder += 1;
      videoLatency.push(arrivedUs - this.captureUs);
    }
    this.lastCaptureUs = this.captureUs;
  }
}

const viewers: BenchViewer[] = [];
let transport: Transport = 'ws';

function openViewer(host: string, port: number, path: string, stalled: boolean): Promise<BenchViewer> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => (error ? reject(error) : resolve(viewer));
    const viewer =
      transport === 'mjpeg' ? new MjpegViewer(host, port, path, stalled, settle) : new RawViewer(host, port, path, stalled, settle);
  });
}

/** Opens `count` viewers a few at a time, retrying refusals (the daemon limits pending upgrades). */
async function openMany(host: string, port: number, path: string, fast: number, stalled: number): Promise<{ failed: number }> {
  // Stalled viewers are spread among the fast ones, as they would be in the field.
  const kinds: boolean[] = [];
  for (let index = 0; index < fast + stalled; index += 1) {
    kinds.push(stalled > 0 && Math.floor(((index + 1) * stalled) / (fast + stalled)) > Math.floor((index * stalled) / (fast + stalled)));
  }
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < kinds.length) {
      const stalledViewer = kinds[next++]!;
      let attempt = 0;
      for (;;) {
        try {
          viewers.push(await openViewer(host, port, path, stalledViewer));
          break;
        } catch (error) {
          attempt += 1;
          if (attempt >= 5) {
            failed += 1;
            noteError((error as Error).message);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
  return { failed };
}

function result(): ViewerResult {
  const windowSeconds = (nowMicros() - windowStartUs) / 1e6;
  const fast = viewers.filter((viewer) => !viewer.stalled);
  const stalled = viewers.filter((viewer) => viewer.stalled);
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return {
    ev: 'result',
    windowSeconds,
    fastOpen: fast.filter((viewer) => !viewer.closed).length,
    fastClosed: fast.filter((viewer) => viewer.closed).length,
    videoFps: fast.map((viewer) => viewer.video / windowSeconds),
    audioPerSecond: fast.map((viewer) => viewer.audio / windowSeconds),
    videoFrames: sum(fast.map((viewer) => viewer.video)),
    audioChunks: sum(fast.map((viewer) => viewer.audio)),
    videoGaps: sum(fast.map((viewer) => viewer.videoGaps)),
    audioGaps: sum(fast.map((viewer) => viewer.audioGaps)),
    outOfOrder: sum(fast.map((viewer) => viewer.outOfOrder)),
    bytes: sum(fast.map((viewer) => viewer.bytes)),
    videoLatencyUs: percentiles(videoLatency.values()),
    audioLatencyUs: percentiles(audioLatency.values()),
    stalledOpen: stalled.filter((viewer) => !viewer.closed).length,
    stalledFramesBeforeStall: sum(stalled.map((viewer) => viewer.framesBeforeStall)),
    stalledGaps: 0,
    errors,
  };
}

function send(event: ViewerEvent): void {
  process.send?.(event);
}

process.on('message', (message: ViewerCommand) => {
  switch (message.cmd) {
    case 'connect':
      transport = message.transport;
      void openMany(message.host, message.port, message.path, message.fast, message.stalled).then(({ failed }) =>
        send({
          ev: 'connected',
          fast: viewers.filter((viewer) => !viewer.stalled).length,
          stalled: viewers.filter((viewer) => viewer.stalled).length,
          failed,
          errors,
        }),
      );
      return;
    case 'status':
      send({
        ev: 'status',
        open: viewers.filter((viewer) => !viewer.closed).length,
        fastWithVideo: viewers.filter((viewer) => !viewer.stalled && viewer.totalVideo > 0).length,
        closed: viewers.filter((viewer) => viewer.closed).length,
      });
      return;
    case 'start':
      for (const viewer of viewers) viewer.resetWindow();
      videoLatency.clear();
      audioLatency.clear();
      windowStartUs = nowMicros();
      measuring = true;
      send({ ev: 'started' });
      return;
    case 'stop':
      measuring = false;
      send(result());
      return;
    case 'exit':
      for (const viewer of viewers) viewer.socket.destroy();
      setImmediate(() => process.exit(0));
      return;
  }
});

// The run ends with us: never outlive a parent that died.
process.on('disconnect', () => process.exit(0));
