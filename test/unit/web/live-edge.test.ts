import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catchUpRate, liveEdgeAction, maxLiveLagSeconds } from '../../../web/src/live-edge.js';

const FRAME_15 = 1 / 15;
const FRAME_30 = 1 / 30;

test('at the edge (up to two frames behind) it plays on at normal speed', () => {
  assert.deepEqual(liveEdgeAction(10, 10 + FRAME_15, FRAME_15), { seekTo: null, playbackRate: 1 });
  assert.deepEqual(liveEdgeAction(10, 10 + 2 * FRAME_30, FRAME_30), { seekTo: null, playbackRate: 1 });
});

test('between two frames and 200 ms behind it speeds up', () => {
  assert.deepEqual(liveEdgeAction(10, 10.15, FRAME_30), { seekTo: null, playbackRate: catchUpRate });
  assert.deepEqual(liveEdgeAction(10, 10.19, FRAME_15), { seekTo: null, playbackRate: catchUpRate });
});

test('over 200 ms behind it seeks to the start of the newest frame', () => {
  const action = liveEdgeAction(3, 4, FRAME_15);
  assert.equal(action.playbackRate, 1);
  assert.ok(Math.abs(action.seekTo! - (4 - FRAME_15)) < 1e-9);
  assert.ok(4 - action.seekTo! < maxLiveLagSeconds);
});

test('a new viewer whose first GOP lands at once jumps from 0 to its newest frame', () => {
  const action = liveEdgeAction(0, 1, FRAME_30);
  assert.ok(Math.abs(action.seekTo! - (1 - FRAME_30)) < 1e-9);
});

test('at a frame rate so low that two frames exceed 200 ms, the bound is two frames (no seeking every frame)', () => {
  const frame = 1 / 4;
  assert.deepEqual(liveEdgeAction(10, 10 + frame, frame), { seekTo: null, playbackRate: 1 });
  assert.notEqual(liveEdgeAction(10, 10 + 2.5 * frame, frame).seekTo, null);
});
