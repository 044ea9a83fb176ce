import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PcmChunker, pcmBytesFor } from '../../../src/capture/formats/pcm-chunker.js';

/** Bytes 0, 1, 2 … (mod 251, so no period lines up with a chunk size), in memory of their own (not the pool). */
function stream(length: number): Buffer {
  return Buffer.from(Uint8Array.from({ length }, (_, index) => index % 251).buffer);
}

test('pcmBytesFor: 20 ms of s16le at the configured rate and channel count', () => {
  assert.equal(pcmBytesFor(20, 48000, 1), 1920);
  assert.equal(pcmBytesFor(20, 48000, 2), 3840);
  assert.equal(pcmBytesFor(20, 8000, 1), 320);
  assert.equal(pcmBytesFor(20, 12000, 2), 960);
});

test('reads of any size come out as whole chunks of exactly chunkBytes, the bytes in order', () => {
  const chunkBytes = 1920;
  const input = stream(chunkBytes * 7 + 500);
  for (const readSize of [1, 7, 640, 1919, 1920, 1921, 4000, input.length]) {
    const chunker = new PcmChunker(chunkBytes);
    const out: Buffer[] = [];
    for (let offset = 0; offset < input.length; offset += readSize) out.push(...chunker.push(input.subarray(offset, offset + readSize)));
    assert.equal(out.length, 7, `reads of ${readSize}`);
    assert.ok(out.every((chunk) => chunk.length === chunkBytes));
    assert.deepEqual(Buffer.concat(out), input.subarray(0, chunkBytes * 7), `reads of ${readSize}`);
    assert.equal(chunker.pendingBytes, 500);
  }
});

test('whole chunks inside one read share its memory; only a chunk across two reads is copied', () => {
  const chunker = new PcmChunker(4);
  const first = stream(10);
  const fromFirst = chunker.push(first);
  assert.equal(fromFirst.length, 2);
  for (const chunk of fromFirst) assert.equal(chunk.buffer, first.buffer, 'a view of the read, not a copy');
  const second = stream(6);
  const fromSecond = chunker.push(second);
  assert.equal(fromSecond.length, 2);
  assert.notEqual(fromSecond[0]!.buffer, second.buffer, 'straddling chunk: 2 bytes of the first read + 2 of the second');
  assert.deepEqual([...fromSecond[0]!], [8, 9, 0, 1]);
  assert.equal(fromSecond[1]!.buffer, second.buffer);
});

test('a read too short to finish a chunk is kept and returns nothing', () => {
  const chunker = new PcmChunker(4);
  assert.deepEqual(chunker.push(Buffer.from([1])), []);
  assert.deepEqual(chunker.push(Buffer.from([2])), []);
  assert.equal(chunker.pendingBytes, 2);
  assert.deepEqual(chunker.push(Buffer.alloc(0)), []);
  assert.deepEqual(
    chunker.push(Buffer.from([3, 4, 5])).map((chunk) => [...chunk]),
    [[1, 2, 3, 4]],
  );
  assert.equal(chunker.pendingBytes, 1);
});

test('reset() forgets a partial chunk (a new ffmpeg process starts a new stream)', () => {
  const chunker = new PcmChunker(4);
  chunker.push(Buffer.from([9, 9, 9]));
  chunker.reset();
  assert.equal(chunker.pendingBytes, 0);
  assert.deepEqual(
    chunker.push(Buffer.from([1, 2, 3, 4])).map((chunk) => [...chunk]),
    [[1, 2, 3, 4]],
  );
});

test('a chunk size that is not a positive integer is a RangeError', () => {
  for (const bad of [0, -4, 1.5, Number.NaN]) assert.throws(() => new PcmChunker(bad), RangeError);
});
