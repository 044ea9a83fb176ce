import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VideoDescription } from '../../../src/protocol/messages.js';
import { choosePath, forcedPath, pathLabel } from '../../../web/src/video-path.js';

const H264: VideoDescription = { codec: 'h264', codecString: 'avc1.42C01E', width: 640, height: 480, fps: 15 };
const JPEG: VideoDescription = { codec: 'jpeg', width: 640, height: 480, fps: 15 };
const ALL = { webcodecs: true, mse: true };
const NONE = { webcodecs: false, mse: false };

test('H.264: WebCodecs where it decodes, else MSE (a plain-http LAN address), else JPEG', () => {
  assert.equal(choosePath(H264, ALL, null), 'webcodecs');
  assert.equal(choosePath(H264, { webcodecs: false, mse: true }, null), 'mse');
  assert.equal(choosePath(H264, NONE, null), 'jpeg');
});

test('a JPEG stream is JPEG whatever the browser or the page parameter says', () => {
  assert.equal(choosePath(JPEG, ALL, null), 'jpeg');
  assert.equal(choosePath(JPEG, ALL, 'mse'), 'jpeg');
});

test('?video= forces a path the browser can take, and falls back to the best one when it cannot', () => {
  assert.equal(choosePath(H264, ALL, 'mse'), 'mse');
  assert.equal(choosePath(H264, ALL, 'jpeg'), 'jpeg');
  assert.equal(choosePath(H264, { webcodecs: false, mse: true }, 'webcodecs'), 'mse');
});

test('the page parameter: the three path names, nothing else', () => {
  assert.equal(forcedPath('?video=mse'), 'mse');
  assert.equal(forcedPath('?token=x&video=webcodecs'), 'webcodecs');
  assert.equal(forcedPath('?video=jpeg'), 'jpeg');
  assert.equal(forcedPath('?video=webrtc'), null);
  assert.equal(forcedPath(''), null);
});

test('the status panel names each path', () => {
  assert.deepEqual(
    ['webcodecs', 'mse', 'jpeg'].map((path) => pathLabel(path as 'mse')),
    ['H.264 · WebCodecs', 'H.264 · MSE', 'JPEG'],
  );
});
