import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MJPEG_BOUNDARY, mjpegPart } from '../../../src/http/mjpeg-part.js';
import { webSocketFrame } from '../../../src/http/websocket-frame.js';
import { SharedChunk, type ChunkFormat } from '../../../src/hub/shared-chunk.js';
import { ChunkKind, decodeHeader, HEADER_BYTES } from '../../../src/protocol/header.js';

const chunk = (bytes: number) => new SharedChunk(ChunkKind.Jpeg, 7, 1_500_000, Buffer.alloc(bytes, 0xab));

test('a WebSocket frame carries the 16-byte header and the payload, with the length form its size needs', () => {
  for (const [payload, headerBytes] of [
    [125 - HEADER_BYTES, 2],
    [126 - HEADER_BYTES, 4],
    [65535 - HEADER_BYTES, 4],
    [65536 - HEADER_BYTES, 10],
  ] as const) {
    const frame = chunk(payload).as(webSocketFrame);
    assert.equal(frame[0], 0x82, 'FIN + binary');
    assert.equal(frame.length, headerBytes + HEADER_BYTES + payload);
    const decoded = decodeHeader(frame.subarray(headerBytes));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.header, { kind: ChunkKind.Jpeg, flags: 0, sequence: 7, captureTimeUs: 1_500_000 });
    assert.equal(frame[frame.length - 1], 0xab);
  }
});

test('an MJPEG part opens with the boundary and says the length and capture time', () => {
  const part = chunk(3).as(mjpegPart);
  const head = `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: 3\r\nX-Timestamp: 1.500000\r\n\r\n`;
  assert.deepEqual(part, Buffer.concat([Buffer.from(head), Buffer.alloc(3, 0xab), Buffer.from('\r\n')]));
});

test('each format is encoded once per chunk, on first use', () => {
  let encodes = 0;
  const counting: ChunkFormat = {
    name: 'counting',
    encode: (c) => {
      encodes += 1;
      return c.payload;
    },
  };
  const shared = chunk(10);
  assert.equal(encodes, 0);
  assert.equal(shared.as(counting), shared.as(counting));
  assert.equal(shared.as(webSocketFrame), shared.as(webSocketFrame));
  assert.equal(encodes, 1);
});
