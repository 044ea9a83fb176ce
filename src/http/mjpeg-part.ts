import type { ChunkFormat, SharedChunk } from '../hub/shared-chunk.js';

/** The multipart boundary of /stream.mjpg, fixed so one built part serves every MJPEG viewer. */
export const MJPEG_BOUNDARY = 'wscamframe';

/** A JPEG chunk as one multipart/x-mixed-replace part of /stream.mjpg. */
export const mjpegPart: ChunkFormat = {
  name: 'mjpeg',
  encode(chunk: SharedChunk): Buffer {
    const head = Buffer.from(
      `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${chunk.payload.length}\r\n` +
        `X-Timestamp: ${(chunk.captureTimeUs / 1e6).toFixed(6)}\r\n\r\n`,
    );
    return Buffer.concat([head, chunk.payload, Buffer.from('\r\n')]);
  },
};
