import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  SESSIONS_FILE,
  SessionStateError,
  SessionStore,
  type SessionEndReason,
  type SessionStoreOptions,
} from '../../../src/auth/sessions.js';

const root = await mkdtemp(join(tmpdir(), 'wscam-sessions-'));
after(() => rm(root, { recursive: true, force: true }));

const HOUR = 3600_000;
const stamps = (subject: string): string | undefined => (subject === 'user:gone' ? undefined : `stamp-of-${subject}`);
let dirCount = 0;

async function openStore(overrides: Partial<SessionStoreOptions> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const options: SessionStoreOptions = {
    stateDir: join(root, `s${dirCount++}`),
    idleMs: 12 * HOUR,
    maxAgeMs: 7 * 24 * HOUR,
    now: () => clock.now,
    flushIntervalMs: 0,
    ...overrides,
  };
  const store = await started(options);
  const ended: [string, SessionEndReason][] = [];
  store.onSessionEnded((id, reason) => ended.push([id, reason]));
  return { store, clock, ended, options };
}

async function started(options: SessionStoreOptions): Promise<SessionStore> {
  const store = new SessionStore(options);
  await store.start();
  return store;
}

describe('sessions', () => {
  it('creates a 256-bit secret and validates it to a stable, different id', async () => {
    const { store } = await openStore();
    const { secret, session } = await store.create('user:alice', 'stamp-of-user:alice');
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(session.id, secret);
    const seen = store.validate(secret, stamps);
    assert.equal(seen?.id, session.id);
    assert.equal(seen?.subject, 'user:alice');
  });

  it('rejects unknown, tampered and malformed values without throwing', async () => {
    const { store } = await openStore();
    const { secret } = await store.create('user:alice', 'stamp-of-user:alice');
    const flipped = (secret[0] === 'A' ? 'B' : 'A') + secret.slice(1);
    for (const value of [flipped, secret.slice(1), `${secret}x`, '', 'x'.repeat(10_000), '../../etc', secret.replace(/./, '%')]) {
      assert.equal(store.validate(value, stamps), undefined, value);
    }
  });

  it('ends a session left idle too long, and keeps a used one alive', async () => {
    const { store, clock, ended } = await openStore();
    const idle = await store.create('user:alice', 'stamp-of-user:alice');
    const used = await store.create('user:bob', 'stamp-of-user:bob');
    clock.now += 11 * HOUR;
    assert.ok(store.validate(used.secret, stamps));
    clock.now += 2 * HOUR;
    assert.equal(store.validate(idle.secret, stamps), undefined);
    assert.ok(store.validate(used.secret, stamps));
    assert.deepEqual(ended, [[idle.session.id, 'expired']]);
  });

  it('touch counts as activity (an open WebSocket)', async () => {
    const { store, clock } = await openStore();
    const { secret, session } = await store.create('user:alice', 'stamp-of-user:alice');
    for (let i = 0; i < 5; i += 1) {
      clock.now += 10 * HOUR;
      assert.equal(store.touch(session.id), true);
    }
    assert.ok(store.validate(secret, stamps));
    assert.equal(store.touch('unknown'), false);
  });

  it('ends every session at the absolute expiry, however active', async () => {
    const { store, clock, ended } = await openStore();
    const { secret, session } = await store.create('user:alice', 'stamp-of-user:alice');
    assert.equal(session.absoluteExpiryMs, session.issuedAtMs + 7 * 24 * HOUR);
    while (clock.now < session.absoluteExpiryMs - HOUR) {
      clock.now += HOUR;
      assert.ok(store.validate(secret, stamps));
    }
    clock.now = session.absoluteExpiryMs;
    store.sweep();
    assert.deepEqual(ended, [[session.id, 'expired']]);
    assert.equal(store.validate(secret, stamps), undefined);
  });

  it('logout destroys the session and fires onSessionEnded once', async () => {
    const { store, ended } = await openStore();
    const { secret, session } = await store.create('user:alice', 'stamp-of-user:alice');
    assert.equal(await store.destroy(session.id), true);
    assert.equal(await store.destroy(session.id), false);
    assert.equal(store.validate(secret, stamps), undefined);
    assert.deepEqual(ended, [[session.id, 'logout']]);
  });

  it('ends sessions whose user is gone or whose credential changed', async () => {
    const { store, ended } = await openStore();
    const gone = await store.create('user:gone', 'old');
    const changed = await store.create('user:alice', 'old-hash');
    assert.equal(store.validate(gone.secret, stamps), undefined);
    assert.equal(store.validate(changed.secret, stamps), undefined);
    assert.deepEqual(
      ended.map(([, reason]) => reason),
      ['invalidated', 'invalidated'],
    );
  });

  it('is bounded: the least recently used session is evicted', async () => {
    const { store, ended } = await openStore({ maxSessions: 3 });
    const a = await store.create('user:a', 'stamp-of-user:a');
    const b = await store.create('user:b', 'stamp-of-user:b');
    const c = await store.create('user:c', 'stamp-of-user:c');
    assert.ok(store.validate(a.secret, stamps));
    await store.create('user:d', 'stamp-of-user:d');
    assert.equal(store.size, 3);
    assert.deepEqual(ended, [[b.session.id, 'evicted']]);
    assert.ok(store.validate(a.secret, stamps));
    assert.ok(store.validate(c.secret, stamps));
  });

  it('survives a restart (new store, same state directory); the file holds no cookie values', async () => {
    const first = await openStore();
    const kept = await first.store.create('user:alice', 'stamp-of-user:alice');
    const loggedOut = await first.store.create('user:bob', 'stamp-of-user:bob');
    await first.store.destroy(loggedOut.session.id);
    first.clock.now += HOUR;
    assert.ok(first.store.validate(kept.secret, stamps));
    await first.store.stop();
    const path = join(first.options.stateDir, SESSIONS_FILE);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const text = await readFile(path, 'utf8');
    assert.ok(!text.includes(kept.secret));
    assert.ok(!text.includes('stamp-of-user'));

    const clock = { now: first.clock.now + 11 * HOUR };
    const reopened = await started({ ...first.options, now: () => clock.now });
    const seen = reopened.validate(kept.secret, stamps);
    assert.equal(seen?.id, kept.session.id);
    assert.equal(reopened.validate(loggedOut.secret, stamps), undefined);
  });

  it('starts empty from a damaged file, and drops entries from the future', async () => {
    const { options, store, clock } = await openStore();
    const { secret } = await store.create('user:alice', 'stamp-of-user:alice');
    await store.stop();
    const path = join(options.stateDir, SESSIONS_FILE);
    const backwards = await started({ ...options, now: () => clock.now - HOUR });
    assert.equal(backwards.validate(secret, stamps), undefined);
    const warnings: string[] = [];
    await writeFile(path, '{"sessions": [{"id": 1}, null, "x"]');
    const damaged = await started({ ...options, warn: (message) => warnings.push(message) });
    assert.equal(damaged.size, 0);
    assert.equal(warnings.length, 1);
    await writeFile(path, '{"sessions": [{"id": 1}, null, "x", {"id": "short"}]}');
    const partial = await started(options);
    assert.equal(partial.size, 0);
  });

  it('start() rejects with a SessionStateError naming the path when the state directory cannot be made', async () => {
    const file = join(root, 'not-a-directory');
    await writeFile(file, '');
    const store = new SessionStore({ stateDir: join(file, 'state'), idleMs: HOUR, maxAgeMs: HOUR, flushIntervalMs: 0 });
    await assert.rejects(store.start(), (error: unknown) => {
      assert.ok(error instanceof SessionStateError);
      assert.match(error.message, /not-a-directory/);
      return true;
    });
  });

  it('a stop and a second start keep the sessions in memory instead of reading the file again', async () => {
    const { store } = await openStore();
    const { secret, session } = await store.create('user:alice', 'stamp-of-user:alice');
    await store.stop();
    await store.start();
    assert.equal(store.validate(secret, stamps)?.id, session.id);
    assert.equal(store.size, 1);
    await store.stop();
  });
});
