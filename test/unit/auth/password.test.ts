import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, isValidPasswordHash, verifyDummyPassword, verifyPassword } from '../../../src/auth/password.js';

describe('password hashing', () => {
  it('round-trips and rejects a wrong password', async () => {
    const hash = await hashPassword('correct horse');
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword('correct horsE', hash), false);
    assert.equal(await verifyPassword('', hash), false);
  });

  it('keeps its parameters in the string, with a fresh salt each time', async () => {
    const hash = await hashPassword('pw');
    const parts = hash.split('$');
    assert.deepEqual(parts.slice(0, 4), ['scrypt', '16384', '8', '1']);
    assert.equal(Buffer.from(parts[4]!, 'base64').length, 16);
    assert.equal(Buffer.from(parts[5]!, 'base64').length, 32);
    assert.notEqual(await hashPassword('pw'), hash);
    assert.equal(isValidPasswordHash(hash), true);
  });

  it('verifies hashes made with other parameters, read from the string', async () => {
    const hash = await hashPassword('pw');
    const [, , , , salt] = hash.split('$');
    const { scryptSync } = await import('node:crypto');
    const key = scryptSync('pw', Buffer.from(salt!, 'base64'), 32, { N: 2048, r: 4, p: 2 });
    assert.equal(await verifyPassword('pw', `scrypt$2048$4$2$${salt}$${key.toString('base64')}`), true);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const hash = await hashPassword('caf\u00e9');
    assert.equal(await verifyPassword('cafe\u0301', hash), true);
  });

  it('returns false, never throws, for malformed or absurd hashes', async () => {
    const good = await hashPassword('pw');
    const [, , , , salt, key] = good.split('$');
    const malformed = [
      '',
      'scrypt$',
      'bcrypt$16384$8$1$' + salt + '$' + key,
      `scrypt$16384$8$1$${salt}`,
      `scrypt$16384$8$1$${salt}$${key}$extra`,
      `scrypt$16383$8$1$${salt}$${key}`,
      `scrypt$0$8$1$${salt}$${key}`,
      `scrypt$-16384$8$1$${salt}$${key}`,
      `scrypt$016384$8$1$${salt}$${key}`,
      `scrypt$1048576$8$1$${salt}$${key}`,
      `scrypt$16384$1024$1$${salt}$${key}`,
      `scrypt$16384$8$1000$${salt}$${key}`,
      `scrypt$16384$8$1$!!!!$${key}`,
      `scrypt$16384$8$1$${salt}$`,
      `scrypt$16384$8$1$QQ==$${key}`,
      `scrypt$16384$8$1$${salt}$${key!.slice(0, 8)}`,
      `scrypt$1e4$8$1$${salt}$${key}`,
      'scrypt$' + 'x'.repeat(1000),
    ];
    for (const hash of malformed) {
      assert.equal(isValidPasswordHash(hash), false, hash);
      assert.equal(await verifyPassword('pw', hash), false, hash);
    }
    assert.equal(await verifyPassword('pw', undefined as unknown as string), false);
  });

  it('refuses passwords longer than 1 KiB', async () => {
    const hash = await hashPassword('pw');
    assert.equal(await verifyPassword('x'.repeat(1025), hash), false);
  });

  it('spends about the time of a real verification on the dummy path', async () => {
    const hash = await hashPassword('pw');
    const timed = async (run: () => Promise<boolean>): Promise<number> => {
      const start = performance.now();
      for (let i = 0; i < 3; i += 1) await run();
      return performance.now() - start;
    };
    const real = await timed(() => verifyPassword('wrong', hash));
    const dummy = await timed(() => verifyDummyPassword('wrong'));
    assert.equal(await verifyDummyPassword('pw'), false);
    // generous bounds: only a dummy path that skipped scrypt (or doubled it) would fall outside
    assert.ok(dummy > real / 5 && dummy < real * 5, `real ${real} ms, dummy ${dummy} ms`);
  });
});

describe('password hashing under load', () => {
  it('answers many verifications at once correctly (they queue, two at a time)', async () => {
    const hash = await hashPassword('pw');
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => verifyPassword(i % 3 === 0 ? 'pw' : 'no', hash)));
    assert.deepEqual(
      results,
      Array.from({ length: 9 }, (_, i) => i % 3 === 0),
    );
  });
});
