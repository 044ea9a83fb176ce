import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { webSocketFrame } from '../src/http/websocket-frame.js';
import { SharedChunk } from '../src/hub/shared-chunk.js';
import { AUDIO_BUFFER_BUDGET } from '../src/hub/viewer.js';
import { ChunkKind } from '../src/protocol/header.js';
import { helloMessage, parseReferenceArgs, referenceSource, serveReference } from './frames.js';

/**
 * The floor: the least CPU Node can spend per delivered frame. A bare node:net server that does
 * its own WebSocket upgrade and writes one pre-framed buffer to every socket with less than one
 * frame queued (audio: less than the daemon's audio budget queued). Nothing else.
 */

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_REQUEST_BYTES = 8192;

const options = parseReferenceArgs(process.argv.slice(2));
const helloText = Buffer.from(JSON.stringify(helloMessage(options.width, options.height, options.fps, options.audio)));
const helloFrame = Buffer.concat([textFrameHeader(helloText.length), helloText]);
const sockets = new Set<Socket>();

function textFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, length]);
  const header = Buffer.from([0x81, 126, 0, 0]);
  header.writeUInt16BE(length, 2);
  return header;
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  let request = Buffer.alloc(0);
  const onRequest = (data: Buffer) => {
    request = Buffer.concat([request, data]);
    const end = request.indexOf('\r\n\r\n');
    if (end < 0) {
      if (request.length > MAX_REQUEST_BYTES) socket.destroy();
      return;
    }
    socket.off('data', onRequest);
    const key = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(request.subarray(0, end).toString('latin1'))?.[1];
    if (!key) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const accept = createHash('sha1')
      .update(key + WS_GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.write(helloFrame);
    // Whatever the client sends later (pongs, close) is read and dropped.
    socket.on('data', () => {});
    sockets.add(socket);
  };
  socket.on('data', onRequest);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => sockets.delete(socket));
});

const source = await referenceSource(options, (chunk) => {
  const frame = new SharedChunk(chunk.kind, chunk.sequence, chunk.captureTimeUs, chunk.payload).as(webSocketFrame);
  const limit = chunk.kind === ChunkKind.Jpeg ? frame.length : AUDIO_BUFFER_BUDGET;
  for (const socket of sockets) {
    if (socket.writableLength < limit) socket.write(frame);
  }
});

serveReference(server, options, source, () => {
  for (const socket of sockets) socket.destroy();
});
