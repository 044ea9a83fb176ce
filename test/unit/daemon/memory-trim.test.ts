import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { loadMallocTrim, startMemoryTrim } from '../../../src/daemon/memory-trim.js';
import { FrameHub } from '../../../src/hub/frame-hub.js';
import { createRootLogger } from '../../../src/log.js';

test('glibc malloc_trim is found and runs', () => {
  const loaded = loadMallocTrim();
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
  loaded.trim();
});

test('the trim follows the viewers and stops with the daemon', () => {
  const hub = new FrameHub();
  const lines = new PassThrough();
  const stop = startMemoryTrim(hub, createRootLogger('debug', lines));
  assert.equal(hub.listenerCount('viewers'), 1);
  // The first viewer starts the periodic trim, the last one leaving stops it (and trims once): neither throws.
  hub.emit('viewers', 1);
  hub.emit('viewers', 2);
  hub.emit('viewers', 0);
  hub.emit('viewers', 1);
  stop();
  assert.equal(hub.listenerCount('viewers'), 0);
  // glibc has the call, so nothing was logged about leaving memory to the C library
  assert.equal(lines.read(), null);
});
