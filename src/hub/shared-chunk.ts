import { encodeHeader, HEADER_BYTES, type ChunkKind } from '../protocol/header.js';

/** The multipart boundary of /stream.mjpg, fixed so one built part serves every MJPEG viewer. */
export const MJPEG_BOUNDARY = 'wscamframe';

/**
 * A captured chunk as it goes out: built once, then the same bytes are written to every viewer.
 * Server-to-client WebSocket frames are unmasked, so one pre-framed buffer serves all sockets.
 */
export class SharedChunk {
  /** WebSocket binary frame: frame header + 16-byte chunk header + payload. */
  readonly wsFrame: Buffer;
  private mjpegPartCache: Buffer | undefined;

  constructor(
    readonly kind: ChunkKind,
    readonly sequence: number,
    readonly captureTimeUs: number,
    readonly payload: Buffer,
  ) {
    const messageBytes = HEADER_BYTES + payload.length;
    const frameHeaderBytes = messageBytes < 126 ? 2 : messageBytes < 65536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(frameHeaderBytes + messageBytes);
    frame[0] = 0x82; // FIN + binary opcode
    if (frameHeaderBytes === 2) {
      frame[1] = messageBytes;
    } else if (frameHeaderBytes === 4) {
      frame[1] = 126;
      frame.writeUInt16BE(messageBytes, 2);
    } else {
      frame[1] = 127;
      frame.writeBigUInt64BE(BigInt(messageBytes), 2);
    }
    encodeHeader({ kind, flags: 0, sequence, captureTimeUs }, frame, frameHeaderBytes);
    payload.copy(frame, frameHeaderBytes + HEADER_BYTES);
    this.wsFrame = frame;
  }

  /** The bytes a viewer buffers for this chunk, used by the send policy. */
  get byteLength(): number {
    return this.wsFrame.length;
  }

  /** One multipart/x-mixed-replace part for /stream.mjpg, built on first use and shared. */
  mjpegPart(): Buffer {
    if (!this.mjpegPartCache) {
      const head = Buffer.from(
        `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${this.payload.length}\r\n` +
          `X-Timestamp: ${(this.captureTimeUs / 1e6).toFixed(6)}\r\n\r\n`,
      );
      this.mjpegPartCache = Buffer.concat([head, this.payload, Buffer.from('\r\n')]);
    }
    return this.mjpegPartCache;
  }
}
