import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadMallocTrim, startMemoryTrim } from '../../../src/daemon/memory-trim.js';
import { createRootLogger } from '../../../src/log.js';
import { PassThrough } from 'node:stream';

test('glibc malloc_trim is found and runs', () => {
  const loaded = loadMallocTrim();
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
  loaded.trim();
});

test('the periodic trim stops, and never holds the process open', () => {
  const lines = new PassThrough();
  const stop = startMemoryTrim(createRootLogger('debug', lines));
  // unref'd: this test file ends on its own even if stop() did nothing; stop() must still be callable twice
  stop();
  stop();
  assert.equal(lines.read(), null);
});
