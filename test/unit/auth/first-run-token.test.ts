import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureFirstRunToken, FIRST_RUN_TOKEN_FILE, needsFirstRunToken } from '../../../src/auth/first-run-token.js';
import { resolveStateDirectory } from '../../../src/auth/state-directory.js';

const root = await mkdtemp(join(tmpdir(), 'wscam-token-'));
after(() => rm(root, { recursive: true, force: true }));

describe('first-run token', () => {
  it('is created once, 128 bits of hex, mode 0600 in a 0700 directory, then reused', async () => {
    const dir = join(root, 'state');
    const first = await ensureFirstRunToken(dir);
    assert.ok(first.ok);
    assert.equal(first.value.created, true);
    assert.match(first.value.token, /^[0-9a-f]{32}$/);
    assert.equal((await stat(join(dir, FIRST_RUN_TOKEN_FILE))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const second = await ensureFirstRunToken(dir);
    assert.ok(second.ok);
    assert.deepEqual(second.value, { token: first.value.token, created: false });
  });

  it('replaces a damaged token file and tightens a loose mode', async () => {
    const dir = join(root, 'damaged');
    const first = await ensureFirstRunToken(dir);
    assert.ok(first.ok);
    const path = join(dir, FIRST_RUN_TOKEN_FILE);
    await chmod(path, 0o644);
    const again = await ensureFirstRunToken(dir);
    assert.ok(again.ok && !again.value.created);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await writeFile(path, '');
    const replaced = await ensureFirstRunToken(dir);
    assert.ok(replaced.ok && replaced.value.created);
    assert.notEqual(replaced.value.token, first.value.token);
    assert.equal((await readFile(path, 'utf8')).trim(), replaced.value.token);
  });

  it('reports an unusable directory as a value', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    const result = await ensureFirstRunToken(join(file, 'state'));
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.error.includes('a-file'));
  });

  it('is needed only with no users, no tokens and auth enabled', () => {
    assert.equal(needsFirstRunToken({ users: [], tokens: [], disabled: false }), true);
    assert.equal(needsFirstRunToken({ users: [], tokens: [], disabled: true }), false);
    assert.equal(needsFirstRunToken({ users: [{}], tokens: [], disabled: false }), false);
    assert.equal(needsFirstRunToken({ users: [], tokens: ['t'], disabled: false }), false);
  });
});

describe('state directory', () => {
  it('is $STATE_DIRECTORY (its first entry), else ./.wscam', () => {
    assert.equal(resolveStateDirectory({ STATE_DIRECTORY: '/var/lib/wscam' }, '/cwd'), '/var/lib/wscam');
    assert.equal(resolveStateDirectory({ STATE_DIRECTORY: '/var/lib/wscam:/var/lib/other' }, '/cwd'), '/var/lib/wscam');
    assert.equal(resolveStateDirectory({}, '/cwd'), '/cwd/.wscam');
    assert.equal(resolveStateDirectory({ STATE_DIRECTORY: '' }, '/cwd'), '/cwd/.wscam');
  });
});
