import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JitterBuffer, type JitterBufferOptions } from '../../../web/src/jitter-buffer.js';

// At 1000 Hz one frame is one millisecond, so frame counts and the *Ms options read alike.
const MS: JitterBufferOptions = { channels: 1, inputRate: 1000, outputRate: 1000, targetMs: 10, maxMs: 50 };

/** Samples whose value is their index in the stream, so a read position can be read off the output. */
function ramp(from: number, count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, index) => from + index);
}

function render(buffer: JitterBuffer, frames: number, channels = 1): Float32Array[] {
  const outputs = Array.from({ length: channels }, () => new Float32Array(frames).fill(Number.NaN));
  buffer.render(outputs);
  return outputs;
}

function assertClose(actual: Float32Array, expected: number[], tolerance = 0.01): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((value, index) =>
    assert.ok(Math.abs(value - expected[index]!) <= tolerance, `sample ${index}: ${value}, expected ${expected[index]}`),
  );
}

test('plays silence until targetMs is buffered, then the pushed samples in order', () => {
  const buffer = new JitterBuffer(MS);
  buffer.push([ramp(1, 9)]);
  assertClose(render(buffer, 4)[0]!, [0, 0, 0, 0]);
  assert.equal(buffer.stats().playing, false);
  buffer.push([ramp(10, 1)]);
  assertClose(render(buffer, 4)[0]!, [1, 2, 3, 4], 0);
  assert.equal(buffer.stats().playing, true);
  assertClose(render(buffer, 3)[0]!, [5, 6, 7]);
});

test('an underrun plays what is there, then silence, and waits for targetMs again', () => {
  const buffer = new JitterBuffer(MS);
  buffer.push([ramp(1, 10)]);
  const out = render(buffer, 15)[0]!;
  assertClose(out.subarray(0, 9), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assertClose(out.subarray(9), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual({ playing: buffer.stats().playing, underruns: buffer.stats().underruns }, { playing: false, underruns: 1 });
  buffer.push([ramp(11, 5)]);
  assertClose(render(buffer, 2)[0]!, [0, 0], 0);
  buffer.push([ramp(16, 5)]);
  assert.ok(render(buffer, 1)[0]![0]! >= 10, 'playing again once enough is buffered');
});

test('more than maxMs buffered skips ahead to targetMs behind the newest sample', () => {
  const buffer = new JitterBuffer(MS);
  buffer.push([ramp(0, 60)]);
  assertClose(render(buffer, 1)[0]!, [50], 0);
  assert.equal(buffer.stats().skips, 1);
  assert.equal(buffer.stats().bufferedMs, 9);
});

test('more than its one second of capacity keeps the newest maxMs', () => {
  const buffer = new JitterBuffer(MS);
  buffer.push([ramp(0, 1000)]);
  assert.equal(buffer.stats().bufferedMs, 50);
});

test('clear() drops what is buffered and stops playing', () => {
  const buffer = new JitterBuffer(MS);
  buffer.push([ramp(1, 20)]);
  render(buffer, 2);
  buffer.clear();
  assert.deepEqual(buffer.stats(), { bufferedMs: 0, playing: false, underruns: 0, skips: 0 });
  assertClose(render(buffer, 3)[0]!, [0, 0, 0], 0);
});

test('a mono chunk feeds every channel; stereo planes stay apart', () => {
  const stereo = new JitterBuffer({ ...MS, channels: 2 });
  assert.equal(stereo.channels, 2);
  stereo.push([ramp(1, 10)]);
  const [left, right] = render(stereo, 3, 2);
  assertClose(left!, [1, 2, 3], 0);
  assertClose(right!, [1, 2, 3], 0);
  const apart = new JitterBuffer({ ...MS, channels: 2 });
  apart.push([ramp(1, 10), ramp(101, 10)]);
  const [l, r] = render(apart, 2, 2);
  assertClose(l!, [1, 2], 0);
  assertClose(r!, [101, 102], 0);
});

test('resamples linearly when the device rate differs from the stream rate', () => {
  const buffer = new JitterBuffer({ channels: 1, inputRate: 500, outputRate: 1000, targetMs: 20, maxMs: 100 });
  buffer.push([ramp(0, 10)]);
  assertClose(render(buffer, 6)[0]!, [0, 0.5, 1, 1.5, 2, 2.5], 0);
});

test('above its target it plays up to 0.5 % faster to come back, never more', () => {
  const buffer = new JitterBuffer(MS);
  let pushed = 40;
  buffer.push([ramp(0, 40)]);
  for (let block = 0; block < 100; block += 1) {
    render(buffer, 10);
    buffer.push([ramp(pushed, 10)]);
    pushed += 10;
  }
  const consumed = pushed - buffer.stats().bufferedMs;
  assert.equal(buffer.stats().underruns + buffer.stats().skips, 0);
  assert.ok(consumed > 1000 && consumed <= 1005, `${consumed} input frames for 1000 output frames`);
});
