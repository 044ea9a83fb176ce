import type { ChunkFormat, SharedChunk } from '../hub/shared-chunk.js';

/** The multipart boundary of /stream.mjpg, fixed so one built part serves every MJPEG viewer. */
export const MJPEG_BOUNDARY = 'wscamframe';

/** A JPEG chunk as one multipart/x-mixed-replace part of /stream.mjpg. */
export const mjpegPart: ChunkFormat = {
  name: 'mjpeg',
  encode(chunk: SharedChunk, allocate: (bytes: number) => Buffer): Buffer {
    const head =
      `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${chunk.payload.length}\r\n` +
      `X-Timestamp: ${(chunk.captureTimeUs / 1e6).toFixed(6)}\r\n\r\n`;
    // The head is ASCII: one byte per character.
    const part = allocate(head.length + chunk.payload.length + 2);
    part.write(head, 0, 'latin1');
    chunk.payload.copy(part, head.length);
    part.write('\r\n', head.length + chunk.payload.length, 'latin1');
    return part;
  },
};
