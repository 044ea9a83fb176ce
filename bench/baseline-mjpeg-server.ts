import { createServer, type ServerResponse } from 'node:http';
import { MJPEG_BOUNDARY, mjpegPart } from '../src/http/mjpeg-part.js';
import { SharedChunk } from '../src/hub/shared-chunk.js';
import { parseReferenceArgs, referenceSource, serveReference } from './frames.js';

/**
 * The MJPEG baseline: what tutorials do. A node:http server that `res.write`s every part to every
 * response with no backpressure handling, so a stalled viewer's queue grows without bound.
 */

const options = parseReferenceArgs(process.argv.slice(2));
const responses = new Set<ServerResponse>();

const http = createServer((_req, res) => {
  res.writeHead(200, {
    'Content-Type': `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`,
    'Cache-Control': 'no-store',
    Connection: 'close',
  });
  res.socket?.setNoDelay(true);
  responses.add(res);
  res.once('close', () => responses.delete(res));
});

const source = await referenceSource(options, (chunk) => {
  const part = new SharedChunk(chunk.kind, chunk.sequence, chunk.captureTimeUs, chunk.payload).as(mjpegPart);
  for (const res of responses) res.write(part);
});

serveReference(http, options, source, () => {
  for (const res of responses) res.destroy();
});
