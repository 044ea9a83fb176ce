import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { JIT_FLAGS } from '../../../src/daemon/jit-tuning.js';

test("every JIT flag is one this Node's V8 knows (an unknown one is only a line on stderr)", () => {
  const module = new URL('../../../src/daemon/jit-tuning.js', import.meta.url).href;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', `(await import(${JSON.stringify(module)})).tuneJit();`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '', `flags ${JIT_FLAGS.join(' ')}`);
});
