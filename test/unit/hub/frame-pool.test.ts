import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { mjpegPart } from '../../../src/http/mjpeg-part.js';
import { capSendBuffer } from '../../../src/http/send-buffer.js';
import { webSocketFrame } from '../../../src/http/websocket-frame.js';
import { FrameHub } from '../../../src/hub/frame-hub.js';
import { FramePool } from '../../../src/hub/frame-pool.js';
import { SharedChunk, type ChunkFormat } from '../../../src/hub/shared-chunk.js';
import { ChunkKind, decodeHeader, HEADER_BYTES } from '../../../src/protocol/header.js';

/** A writable that completes each write only when the test says so, like a socket whose peer has not read yet. */
class HeldWritable extends Writable {
  /** What reached the "kernel", in order: the very buffers written, not copies. */
  readonly taken: Buffer[] = [];
  private readonly held: Array<() => void> = [];

  constructor() {
    super({ highWaterMark: 1 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.taken.push(chunk);
    this.held.push(callback);
  }

  /** The peer read everything written so far (writes queued behind the first reach _write one by one). */
  async complete(): Promise<void> {
    for (let round = 0; round < 100 && (this.held.length > 0 || this.writableLength > 0); round += 1) {
      for (const callback of this.held.splice(0)) callback();
      // Write callbacks run on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

const jpeg = (pool: FramePool, sequence: number, bytes: number, fill = sequence & 0xff) =>
  new SharedChunk(ChunkKind.Jpeg, sequence, sequence * 1000, Buffer.alloc(bytes, fill), false, undefined, pool);

/** The WebSocket frame (as websocket-frame.ts writes it) starting at `at`: its size on the wire, sequence and payload. */
function readFrame(stream: Buffer, at = 0): { frameBytes: number; sequence: number; payload: Buffer } {
  const lengthCode = stream[at + 1]!;
  const headerBytes = lengthCode === 126 ? 4 : lengthCode === 127 ? 10 : 2;
  const length =
    lengthCode === 126 ? stream.readUInt16BE(at + 2) : lengthCode === 127 ? Number(stream.readBigUInt64BE(at + 2)) : lengthCode;
  assert.ok(at + headerBytes + length <= stream.length, 'no frame cut short');
  const decoded = decodeHeader(stream.subarray(at + headerBytes));
  assert.ok(decoded.ok);
  const end = at + headerBytes + length;
  return {
    frameBytes: headerBytes + length,
    sequence: decoded.header.sequence,
    payload: stream.subarray(at + headerBytes + HEADER_BYTES, end),
  };
}

test('take gives exactly the bytes asked; memory given back is reused by the next take it fits', () => {
  const pool = new FramePool();
  const first = pool.take(50_000);
  assert.equal(first.length, 50_000);
  assert.ok(first.buffer.byteLength >= 50_000);
  pool.give(first);
  assert.equal(pool.freeBytes, first.buffer.byteLength);
  const second = pool.take(50_100);
  assert.equal(second.length, 50_100);
  assert.equal(second.buffer, first.buffer, 'a slightly larger frame fits the room to spare');
  assert.equal(pool.freeBytes, 0);
  const larger = pool.take(first.buffer.byteLength + 1);
  assert.notEqual(larger.buffer, first.buffer);
});

test('the pool keeps a few free buffers, the largest ones', () => {
  const pool = new FramePool();
  const buffers = [10_000, 20_000, 30_000, 40_000, 50_000, 60_000].map((bytes) => pool.take(bytes));
  for (const buffer of buffers) pool.give(buffer);
  const kept = pool.freeBytes;
  assert.equal(
    kept,
    buffers.slice(2).reduce((sum, buffer) => sum + buffer.buffer.byteLength, 0),
  );
});

test("a superseded chunk's bytes go back only once every write of them has completed", async () => {
  const pool = new FramePool();
  const chunk = jpeg(pool, 1, 40_000);
  const a = new HeldWritable();
  const b = new HeldWritable();
  chunk.writeTo(a, webSocketFrame);
  chunk.writeTo(b, webSocketFrame);
  await a.complete();
  assert.equal(chunk.supersede(), false, 'b still holds the bytes');
  assert.equal(pool.freeBytes, 0);
  await b.complete();
  assert.equal(chunk.releaseUnheld(), true);
  assert.ok(pool.freeBytes >= 40_000 + HEADER_BYTES);
});

test('nothing goes back before the chunk is superseded, however many writes completed', async () => {
  const pool = new FramePool();
  const chunk = jpeg(pool, 1, 40_000);
  const a = new HeldWritable();
  chunk.writeTo(a, webSocketFrame);
  await a.complete();
  assert.equal(pool.freeBytes, 0, 'a new viewer may still be offered it');
  chunk.writeTo(a, webSocketFrame);
  assert.equal(chunk.supersede(), false);
  await a.complete();
  assert.equal(chunk.releaseUnheld(), true);
  assert.ok(pool.freeBytes > 0);
});

test('a write after the bytes went back encodes the chunk again, and the newer chunk in that memory is untouched', async () => {
  const pool = new FramePool();
  const old = jpeg(pool, 1, 40_000, 0x11);
  const sink = new HeldWritable();
  old.writeTo(sink, webSocketFrame);
  old.supersede();
  await sink.complete();
  assert.equal(old.releaseUnheld(), true);
  const newer = jpeg(pool, 2, 40_000, 0x22);
  newer.writeTo(sink, webSocketFrame);
  // A viewer that unsubscribed and came back still held the old frame.
  old.writeTo(sink, webSocketFrame);
  await sink.complete();
  const [firstOld, newBytes, againOld] = sink.taken;
  assert.equal(newBytes!.buffer, firstOld!.buffer, 'the newer chunk took the memory back');
  assert.notEqual(againOld!.buffer, newBytes!.buffer);
  const decodedNew = readFrame(newBytes!);
  assert.equal(decodedNew.sequence, 2);
  assert.ok(decodedNew.payload.every((byte) => byte === 0x22));
  const decodedOld = readFrame(againOld!);
  assert.equal(decodedOld.sequence, 1);
  assert.ok(decodedOld.payload.every((byte) => byte === 0x11));
});

test('a format that returns memory other than what it was given never puts that memory in the pool', async () => {
  const pool = new FramePool();
  const passThrough: ChunkFormat = { name: 'payload as is', encode: (chunk) => chunk.payload };
  const chunk = jpeg(pool, 1, 40_000);
  const sink = new HeldWritable();
  chunk.writeTo(sink, passThrough);
  chunk.supersede();
  await sink.complete();
  assert.equal(chunk.releaseUnheld(), true);
  assert.equal(pool.freeBytes, 0);
});

test('bytes handed out by as() are never reused', async () => {
  const pool = new FramePool();
  const chunk = jpeg(pool, 1, 40_000);
  const kept = chunk.as(mjpegPart);
  const sink = new HeldWritable();
  chunk.writeTo(sink, mjpegPart);
  chunk.supersede();
  await sink.complete();
  assert.equal(chunk.releaseUnheld(), true);
  assert.equal(pool.freeBytes, 0);
  assert.equal(kept.length, mjpegPart.encode(chunk, (bytes) => Buffer.allocUnsafe(bytes)).length);
});

test('through real sockets, a fast, a slow and a stalled reader each get intact frames in order while the memory is reused', async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const accepted: Socket[] = [];
  server.on('connection', (socket) => accepted.push(socket));
  const clients = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1'), connect(port, '127.0.0.1')];
  await Promise.all(clients.map((client) => once(client, 'connect')));
  for (let round = 0; round < 100 && accepted.length < clients.length; round += 1) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(accepted.length, clients.length);
  const [fast, slow, stalled] = clients as [Socket, Socket, Socket];
  const serverSide = (client: Socket) => accepted.find((socket) => socket.remotePort === client.localPort)!;
  const toFast = serverSide(fast);
  const toStalled = serverSide(stalled);
  // The stalled reader's writes stay queued once its small kernel buffer is full.
  assert.ok(capSendBuffer(toStalled, 16 * 1024).ok);
  stalled.pause();
  const received = new Map<Socket, Buffer[]>(clients.map((client) => [client, []]));
  for (const client of [fast, slow]) client.on('data', (data: Buffer) => received.get(client)!.push(data));

  const hub = new FrameHub();
  for (const socket of accepted) {
    hub.attach({
      bufferedBytes: () => socket.writableLength,
      write: (chunk) => chunk.writeTo(socket, webSocketFrame),
      wants: (kind) => kind === ChunkKind.Jpeg,
      whenDrained: (callback) => socket.once('drain', callback),
    });
  }
  const frames = 120;
  const memories = new Set<ArrayBufferLike>();
  for (let sequence = 0; sequence < frames; sequence += 1) {
    // Sizes vary as a camera's do, so buffers are both reused and outgrown.
    const payload = Buffer.alloc(30_000 + ((sequence * 7919) % 40_000), sequence & 0xff);
    memories.add(memoryOf(hub.publish({ kind: ChunkKind.Jpeg, payload, captureTimeUs: sequence })));
    if (sequence % 3 === 0) slow.pause();
    else slow.resume();
    // Frames come one per event-loop turn, as from a camera; the fast reader always has room for the next.
    await new Promise((resolve) => setImmediate(resolve));
    if (toFast.writableLength > 0) await once(toFast, 'drain');
  }
  assert.ok(toStalled.writableLength > 0, 'the stalled reader had a write waiting');
  slow.resume();
  stalled.on('data', (data: Buffer) => received.get(stalled)!.push(data));
  stalled.resume();
  for (const socket of accepted) socket.end();
  await Promise.all(clients.map((client) => once(client, 'end')));
  server.close();

  for (const client of clients) {
    const sequences = parseFrames(Buffer.concat(received.get(client)!));
    assert.ok(sequences.length > 0);
    assert.deepEqual(
      [...sequences].sort((a, b) => a - b),
      sequences,
      'in order',
    );
  }
  assert.equal(parseFrames(Buffer.concat(received.get(fast)!)).length, frames, 'the fast reader got every frame');
  assert.ok(parseFrames(Buffer.concat(received.get(stalled)!)).length < frames, 'the stalled reader skipped frames');
  assert.ok(memories.size < frames / 4, `frames reused memory (${memories.size} buffers for ${frames} frames)`);
});

/** The memory under a published chunk's WebSocket frame, read the way a socket sees it (as() would stop its reuse). */
function memoryOf(chunk: SharedChunk): ArrayBufferLike {
  let memory: ArrayBufferLike | undefined;
  const probe = new Writable({
    write: (bytes: Buffer, _encoding, callback) => {
      memory = bytes.buffer;
      callback();
    },
  });
  chunk.writeTo(probe, webSocketFrame);
  assert.ok(memory !== undefined);
  return memory;
}

/** Every WebSocket frame in a byte stream, checked to carry its sequence's fill byte and no other; returns the sequences. */
function parseFrames(stream: Buffer): number[] {
  const sequences: number[] = [];
  let at = 0;
  while (at < stream.length) {
    const { frameBytes, sequence, payload } = readFrame(stream, at);
    assert.ok(
      payload.every((byte) => byte === (sequence & 0xff)),
      `frame ${sequence} carries its own bytes`,
    );
    sequences.push(sequence);
    at += frameBytes;
  }
  return sequences;
}
