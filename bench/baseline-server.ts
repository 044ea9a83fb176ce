import { createServer } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeHeader, HEADER_BYTES } from '../src/protocol/header.js';
import { helloMessage, parseReferenceArgs, referenceSource, serveReference } from './frames.js';

/**
 * The baseline: what tutorials do. A plain `ws` server that sends every chunk to every client
 * with no backpressure handling, so a stalled client's queue grows without bound.
 */

const options = parseReferenceArgs(process.argv.slice(2));
const hello = JSON.stringify(helloMessage(options.width, options.height, options.fps, options.audio));

const http = createServer((_req, res) => {
  res.writeHead(426, { Upgrade: 'websocket' }).end();
});
const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.send(hello);
});

const source = await referenceSource(options, (chunk) => {
  // The message (16-byte header + payload) is built once; ws frames it per client.
  const message = Buffer.allocUnsafe(HEADER_BYTES + chunk.payload.length);
  encodeHeader({ kind: chunk.kind, flags: 0, sequence: chunk.sequence, captureTimeUs: chunk.captureTimeUs }, message);
  chunk.payload.copy(message, HEADER_BYTES);
  for (const client of wss.clients) {
    if (client.readyState === WebSocket.OPEN) client.send(message);
  }
});

serveReference(http, options, source, () => {
  for (const client of wss.clients) client.terminate();
});
