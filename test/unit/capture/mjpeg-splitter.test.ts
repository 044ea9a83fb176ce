import assert from 'node:assert/strict';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { MjpegSplitter } from '../../../src/capture/formats/mjpeg-splitter.js';
import { feed, prng, realJpeg, segment, trickyJpeg, withExifThumbnail } from './jpeg-fixtures.js';

const thumbnail = realJpeg(16, 12, 9);
const frames = [
  realJpeg(64, 48, 1),
  withExifThumbnail(realJpeg(64, 48, 2), thumbnail),
  trickyJpeg(3),
  withExifThumbnail(trickyJpeg(4), thumbnail),
  realJpeg(32, 32, 5),
];
const stream = Buffer.concat(frames);

function assertSameFrames(actual: Buffer[], expected: Buffer[]): void {
  assert.equal(actual.length, expected.length, 'frame count');
  actual.forEach((frame, index) => assert.ok(frame.equals(expected[index]!), `frame ${index} differs`));
}

test('a whole stream in one chunk gives every frame as a zero-copy subarray', () => {
  const splitter = new MjpegSplitter();
  const out = splitter.push(stream);
  assertSameFrames(out, frames);
  for (const frame of out) assert.equal(frame.buffer, stream.buffer, 'frame is a view of the input, not a copy');
  assert.deepEqual(splitter.stats, { frames: frames.length, garbageBytes: 0, corruptFrames: 0, oversizeFrames: 0 });
});

test('an EXIF thumbnail (FFD8…FFD9 inside APP1) stays inside its frame, which still decodes', () => {
  const withThumb = withExifThumbnail(realJpeg(80, 60, 7), thumbnail);
  assert.ok(withThumb.indexOf(Buffer.from([0xff, 0xd9])) < withThumb.length - 2, 'fixture has an early FFD9');
  const out = new MjpegSplitter().push(withThumb);
  assertSameFrames(out, [withThumb]);
  const decoded = jpeg.decode(out[0]!, { useTArray: true });
  assert.equal(decoded.width, 80);
  assert.equal(decoded.height, 60);
});

test('FF00 stuffing, RST markers, fill bytes and multiple scans do not end a frame', () => {
  const tricky = trickyJpeg(11, 3000);
  for (let rst = 0xd0; rst <= 0xd7; rst += 1) assert.ok(tricky.includes(Buffer.from([0xff, rst])), `fixture has RST${rst - 0xd0}`);
  assertSameFrames(new MjpegSplitter().push(Buffer.concat([tricky, tricky])), [tricky, tricky]);
});

test('1-byte chunks give the same frames', () => {
  const splitter = new MjpegSplitter();
  assertSameFrames(
    feed(stream, 1, (chunk) => splitter.push(chunk)),
    frames,
  );
  assert.equal(splitter.stats.garbageBytes, 0);
});

test('chunks of random sizes give the same frames', () => {
  const next = prng(42);
  for (let round = 0; round < 20; round += 1) {
    const splitter = new MjpegSplitter();
    assertSameFrames(
      feed(
        stream,
        () => next() * 4,
        (chunk) => splitter.push(chunk),
      ),
      frames,
    );
  }
});

test('garbage between frames is skipped and counted', () => {
  // Garbage with lone FFs, an FFD9 and a trailing FF right before the next frame's FF D8.
  const garbage = [Buffer.from('hello'), Buffer.from([0xff, 0xd9, 0x00, 0xff, 0xff, 0x12]), Buffer.from([0x01, 0xff])];
  const input = Buffer.concat([garbage[0]!, frames[0]!, garbage[1]!, frames[1]!, garbage[2]!, frames[2]!]);
  const garbageBytes = garbage.reduce((sum, g) => sum + g.length, 0);
  for (const size of [input.length, 1, 7]) {
    const splitter = new MjpegSplitter();
    assertSameFrames(
      feed(input, size, (chunk) => splitter.push(chunk)),
      frames.slice(0, 3),
    );
    assert.equal(splitter.stats.garbageBytes, garbageBytes, `garbage counted with ${size}-byte chunks`);
  }
});

test('a frame cut off in its scan data is dropped and the next good frame is found', () => {
  const good = realJpeg(48, 32, 13);
  const cut = frames[1]!.subarray(0, frames[1]!.length - 100);
  const input = Buffer.concat([frames[0]!, cut, good]);
  for (const size of [input.length, 1, 13]) {
    const splitter = new MjpegSplitter();
    assertSameFrames(
      feed(input, size, (chunk) => splitter.push(chunk)),
      [frames[0]!, good],
    );
    assert.equal(splitter.stats.corruptFrames, 1);
  }
});

test('a frame cut off inside a header segment is dropped and the SOI it swallowed is found again', () => {
  const good = realJpeg(48, 32, 14);
  // An APP2 segment claiming 2000 bytes, cut after 10: the good frame lands inside its "payload".
  const cut = Buffer.concat([Buffer.from([0xff, 0xd8]), segment(0xe2, Buffer.alloc(1998, 0x41)).subarray(0, 14)]);
  const input = Buffer.concat([cut, good, frames[0]!]);
  for (const size of [input.length, 1, 64]) {
    const splitter = new MjpegSplitter();
    assertSameFrames(
      feed(input, size, (chunk) => splitter.push(chunk)),
      [good, frames[0]!],
    );
    assert.equal(splitter.stats.corruptFrames, 1);
  }
});

test('an oversize frame is dropped and the splitter resyncs on the next frame', () => {
  const small = realJpeg(16, 16, 20);
  const big = trickyJpeg(21, 20_000);
  const limit = 4096;
  assert.ok(small.length < limit && big.length > limit);
  for (const size of [1_000_000, 1, 333]) {
    const splitter = new MjpegSplitter(limit);
    const input = Buffer.concat([small, big, small]);
    assertSameFrames(
      feed(input, size, (chunk) => splitter.push(chunk)),
      [small, small],
    );
    assert.equal(splitter.stats.oversizeFrames, 1);
  }
});

test('reset() forgets a partial frame', () => {
  const splitter = new MjpegSplitter();
  assert.deepEqual(splitter.push(frames[0]!.subarray(0, 50)), []);
  splitter.reset();
  assertSameFrames(splitter.push(frames[1]!), [frames[1]!]);
});
