import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBitrate, formatChannels, formatMs, formatRate } from '../../../web/src/format.js';

test('milliseconds are rounded; an unknown value is a dash', () => {
  assert.equal(formatMs(12.4), '12 ms');
  assert.equal(formatMs(12.5), '13 ms');
  assert.equal(formatMs(null), '–');
});

test('bitrates switch to Mbit/s from 1000 kbit/s', () => {
  assert.equal(formatBitrate(768.4), '768 kbit/s');
  assert.equal(formatBitrate(999.4), '999 kbit/s');
  assert.equal(formatBitrate(1000), '1.0 Mbit/s');
  assert.equal(formatBitrate(12_345), '12.3 Mbit/s');
});

test('sample rates in kHz, whole where they are whole', () => {
  assert.equal(formatRate(48000), '48 kHz');
  assert.equal(formatRate(8000), '8 kHz');
  assert.equal(formatRate(44100), '44.1 kHz');
});

test('channel counts by name', () => {
  assert.deepEqual([1, 2, 6].map(formatChannels), ['mono', 'stereo', '6 ch']);
});
