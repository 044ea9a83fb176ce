import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyframeGate } from '../../../web/src/keyframe-gate.js';

/** Feeds [sequence, keyframe] pairs and returns the sequences the gate let through. */
function run(gate: KeyframeGate, units: Array<[number, boolean]>): number[] {
  return units.filter(([sequence, keyframe]) => gate.accept(sequence, keyframe)).map(([sequence]) => sequence);
}

test('the start waits for a keyframe: P-frames of a GOP joined midway are dropped', () => {
  const gate = new KeyframeGate();
  assert.deepEqual(
    run(gate, [
      [7, false],
      [8, false],
      [9, true],
      [10, false],
    ]),
    [9, 10],
  );
  assert.equal(gate.skipped, 2);
  assert.equal(gate.gapWaits, 0, 'the start is not a gap');
});

test('after a sequence gap nothing passes until the next keyframe, which passes even across a gap', () => {
  const gate = new KeyframeGate();
  const passed = run(gate, [
    [0, true],
    [1, false],
    [2, false],
    [5, false],
    [6, false],
    [9, true],
    [10, false],
  ]);
  assert.deepEqual(passed, [0, 1, 2, 9, 10]);
  assert.equal(gate.gapWaits, 1);
  assert.equal(gate.skipped, 2);
});

test('a gap straight onto a keyframe costs nothing', () => {
  const gate = new KeyframeGate();
  assert.deepEqual(
    run(gate, [
      [0, true],
      [1, false],
      [4, true],
      [5, false],
    ]),
    [0, 1, 4, 5],
  );
  assert.equal(gate.skipped, 0);
});

test('the sequence wraps at 2^32 without a gap; a repeated or older sequence is a gap', () => {
  const gate = new KeyframeGate();
  assert.deepEqual(
    run(gate, [
      [0xffff_fffe, true],
      [0xffff_ffff, false],
      [0, false],
      [1, false],
    ]),
    [0xffff_fffe, 0xffff_ffff, 0, 1],
  );
  assert.deepEqual(run(gate, [[1, false]]), []);
  assert.equal(gate.gapWaits, 1);
});

test('restart() (decoder error, hidden tab) waits for a keyframe; reset() also forgets the sequence', () => {
  const gate = new KeyframeGate();
  run(gate, [
    [0, true],
    [1, false],
  ]);
  gate.restart();
  assert.deepEqual(
    run(gate, [
      [2, false],
      [3, true],
    ]),
    [3],
  );
  gate.reset();
  assert.deepEqual(
    run(gate, [
      [100, false],
      [101, true],
    ]),
    [101],
  );
  assert.equal(gate.gapWaits, 0, 'neither restart nor a new connection counts as a gap');
});
