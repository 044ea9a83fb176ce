import type { ChunkFormat, SharedChunk } from '../hub/shared-chunk.js';
import { encodeHeader, HEADER_BYTES } from '../protocol/header.js';

/**
 * A chunk as one WebSocket binary frame: frame header + 16-byte chunk header + payload. Frames from
 * server to client are unmasked, so one pre-framed buffer serves every socket.
 */
export const webSocketFrame: ChunkFormat = {
  name: 'websocket',
  encode(chunk: SharedChunk, allocate: (bytes: number) => Buffer): Buffer {
    const messageBytes = HEADER_BYTES + chunk.payload.length;
    const frameHeaderBytes = messageBytes < 126 ? 2 : messageBytes < 65536 ? 4 : 10;
    const frame = allocate(frameHeaderBytes + messageBytes);
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
    encodeHeader(
      { kind: chunk.kind, flags: chunk.flags, sequence: chunk.sequence, captureTimeUs: chunk.captureTimeUs },
      frame,
      frameHeaderBytes,
    );
    chunk.payload.copy(frame, frameHeaderBytes + HEADER_BYTES);
    return frame;
  },
};
