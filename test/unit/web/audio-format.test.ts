import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pcmS16leToPlanes, sameFormat } from '../../../web/src/audio-format.js';

function s16le(samples: number[]): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  samples.forEach((sample, index) => view.setInt16(index * 2, sample, true));
  return bytes;
}

test('mono s16le becomes one plane of floats in [-1, 1)', () => {
  const [plane, ...rest] = pcmS16leToPlanes(s16le([0, 16384, -32768, 32767]), 1);
  assert.deepEqual(rest, []);
  assert.deepEqual([...plane!], [0, 0.5, -1, 32767 / 32768]);
});

test('interleaved stereo is split into left and right planes', () => {
  const [left, right] = pcmS16leToPlanes(s16le([1, -1, 2, -2, 3, -3]), 2);
  assert.deepEqual(
    [...left!].map((value) => value * 32768),
    [1, 2, 3],
  );
  assert.deepEqual(
    [...right!].map((value) => value * 32768),
    [-1, -2, -3],
  );
});

test('a view into a larger buffer is read from its own offset, and a trailing partial frame is ignored', () => {
  const backing = new Uint8Array(16);
  backing.set(s16le([100, 200, 300]), 4);
  const [plane] = pcmS16leToPlanes(backing.subarray(4, 4 + 6 + 1), 1);
  assert.deepEqual(
    [...plane!].map((value) => value * 32768),
    [100, 200, 300],
  );
});

test('sameFormat: equal rate and channel count; null never matches', () => {
  assert.equal(sameFormat({ sampleRate: 48000, channels: 1 }, { sampleRate: 48000, channels: 1 }), true);
  assert.equal(sameFormat({ sampleRate: 48000, channels: 1 }, { sampleRate: 48000, channels: 2 }), false);
  assert.equal(sameFormat({ sampleRate: 48000, channels: 1 }, { sampleRate: 24000, channels: 1 }), false);
  assert.equal(sameFormat(null, null), false);
});
