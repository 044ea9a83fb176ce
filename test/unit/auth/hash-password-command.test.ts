import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { runHashPasswordCommand } from '../../../src/auth/hash-password-command.js';
import { verifyPassword } from '../../../src/auth/password.js';

async function run(input: string | Buffer, options: { tty?: boolean; keepOpen?: boolean } = {}) {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (options.tty) stdin.isTTY = true;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const collect = (stream: PassThrough): (() => string) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    return () => Buffer.concat(chunks).toString('utf8');
  };
  const out = collect(stdout);
  const err = collect(stderr);
  const exit = runHashPasswordCommand(stdin, stdout, stderr);
  stdin.write(input);
  if (!options.keepOpen) stdin.end();
  const code = await exit;
  return { code, out: out(), err: err() };
}

describe('hash-password command', () => {
  it('prints one hash line for the password, without its trailing newline', async () => {
    const { code, out, err } = await run('s3cret pass\n');
    assert.equal(code, 0);
    assert.equal(err, '');
    assert.match(out, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\n$/);
    assert.equal(await verifyPassword('s3cret pass', out.trim()), true);
  });

  it('strips only one newline (CRLF too) and keeps other whitespace', async () => {
    const { code, out } = await run(' pw \r\n');
    assert.equal(code, 0);
    assert.equal(await verifyPassword(' pw ', out.trim()), true);
  });

  it('refuses an empty password', async () => {
    for (const input of ['', '\n']) {
      const { code, out, err } = await run(input);
      assert.equal(code, 2);
      assert.equal(out, '');
      assert.match(err, /empty password/);
    }
  });

  it('refuses more than one line', async () => {
    const { code, err } = await run('one\ntwo\n');
    assert.equal(code, 2);
    assert.match(err, /single line/);
  });

  it('refuses input over 1 KiB without waiting for the end', async () => {
    const { code, out, err } = await run(Buffer.alloc(10_000, 'a'), { keepOpen: true });
    assert.equal(code, 2);
    assert.equal(out, '');
    assert.match(err, /longer than 1024/);
    const exact = await run('a'.repeat(1024) + '\n');
    assert.equal(exact.code, 0);
  });

  it('at a terminal takes the first line without waiting for end of input, and never echoes it', async () => {
    const { code, out, err } = await run('hunter2\n', { tty: true, keepOpen: true });
    assert.equal(code, 0);
    assert.equal(await verifyPassword('hunter2', out.trim()), true);
    assert.doesNotMatch(err, /hunter2/);
  });
});
