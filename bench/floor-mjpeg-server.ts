import { createServer, type Socket } from 'node:net';
import { MJPEG_BOUNDARY, mjpegPart } from '../src/http/mjpeg-part.js';
import { SharedChunk } from '../src/hub/shared-chunk.js';
import { parseReferenceArgs, referenceSource, serveReference } from './frames.js';

/**
 * The MJPEG floor: a bare node:net server that answers any request with a multipart head (no
 * chunked transfer coding) and writes one pre-built multipart part per frame to every socket with
 * less than one part queued. Nothing else.
 */

const MAX_REQUEST_BYTES = 8192;
const RESPONSE_HEAD =
  `HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}\r\n` +
  'Cache-Control: no-store\r\nConnection: close\r\n\r\n';

const options = parseReferenceArgs(process.argv.slice(2));
const sockets = new Set<Socket>();

const server = createServer((socket) => {
  socket.setNoDelay(true);
  let request = '';
  const onRequest = (data: Buffer) => {
    request += data.toString('latin1');
    if (!request.includes('\r\n\r\n')) {
      if (request.length > MAX_REQUEST_BYTES) socket.destroy();
      return;
    }
    socket.off('data', onRequest);
    socket.on('data', () => {});
    socket.write(RESPONSE_HEAD);
    sockets.add(socket);
  };
  socket.on('data', onRequest);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => sockets.delete(socket));
});

const source = await referenceSource(options, (chunk) => {
  const part = new SharedChunk(chunk.kind, chunk.sequence, chunk.captureTimeUs, chunk.payload).as(mjpegPart);
  for (const socket of sockets) {
    if (socket.writableLength < part.length) socket.write(part);
  }
});

serveReference(server, options, source, () => {
  for (const socket of sockets) socket.destroy();
});
