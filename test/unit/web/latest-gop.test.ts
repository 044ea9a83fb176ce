import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatestGop } from '../../../web/src/latest-gop.js';

test('holds from the newest keyframe on; a keyframe drops the GOP before it', () => {
  const gop = new LatestGop<string>(10);
  for (const [unit, keyframe] of [
    ['p0', false],
    ['k1', true],
    ['p1', false],
    ['k2', true],
    ['p2', false],
  ] as const)
    gop.add(unit, keyframe);
  assert.deepEqual(gop.take(), ['k2', 'p2']);
  assert.deepEqual(gop.take(), [], 'take() empties it');
});

test('past the bound the GOP is dropped whole and nothing is held until the next keyframe', () => {
  const gop = new LatestGop<string>(3);
  gop.add('k', true);
  gop.add('p1', false);
  gop.add('p2', false);
  gop.add('p3', false);
  gop.add('p4', false);
  assert.deepEqual(gop.take(), []);
  gop.add('p5', false);
  gop.add('k2', true);
  gop.add('p6', false);
  assert.deepEqual(gop.take(), ['k2', 'p6']);
});
