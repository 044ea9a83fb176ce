import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stateLabel, stateMessage, type ViewerState } from '../../../web/src/viewer-state.js';

const STATES: ViewerState[] = ['connecting', 'live', 'no-signal', 'reconnecting', 'login'];

test('the centred message: none over a live picture or the login form', () => {
  assert.deepEqual(
    STATES.map((state) => stateMessage(state, 3)),
    ['Connecting…', null, 'No signal', 'Reconnecting in 3 s…', null],
  );
});

test('every state has a label for the status panel', () => {
  assert.deepEqual(STATES.map(stateLabel), ['Connecting', 'Live', 'No signal', 'Reconnecting', 'Login required']);
});
