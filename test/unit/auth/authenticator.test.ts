import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Authenticator, retryAfterHeaders, type AuthSettings, type AuthenticatorOptions } from '../../../src/auth/authenticator.js';
import { LoginThrottle } from '../../../src/auth/login-throttle.js';
import { openAuthenticator } from '../../../src/auth/open-authenticator.js';
import { hashPassword } from '../../../src/auth/password.js';
import { SessionStore } from '../../../src/auth/sessions.js';

const root = await mkdtemp(join(tmpdir(), 'wscam-auth-'));
after(() => rm(root, { recursive: true, force: true }));

const TOKEN = 'tok-0123456789abcdef';
let aliceHash = '';
before(async () => {
  aliceHash = await hashPassword('alice-pw');
});

let dirCount = 0;
function settings(overrides: Partial<AuthSettings> = {}): AuthSettings {
  return {
    users: [{ username: 'alice', passwordHash: aliceHash }],
    tokens: [TOKEN],
    disabled: false,
    sessionIdleHours: 12,
    sessionMaxDays: 7,
    ...overrides,
  };
}

async function make(overrides: Partial<AuthenticatorOptions> & { auth?: AuthSettings } = {}) {
  const clock = { now: 1_700_000_000_000 };
  const stateDir = join(root, `a${dirCount++}`);
  const auth = overrides.auth ?? settings();
  const sessions = new SessionStore({
    stateDir,
    idleMs: auth.sessionIdleHours * 3600_000,
    maxAgeMs: auth.sessionMaxDays * 86_400_000,
    now: () => clock.now,
    flushIntervalMs: 0,
  });
  await sessions.start();
  const authenticator = new Authenticator({
    auth,
    sessions,
    secure: false,
    allowedOrigins: [],
    throttle: new LoginThrottle({ now: () => clock.now }),
    ...overrides,
  });
  return { authenticator, sessions, clock, stateDir };
}

function cookieOf(setCookie: string | undefined): string {
  assert.ok(setCookie);
  return setCookie.split(';')[0]!;
}

function req(headers: IncomingHttpHeaders = {}, url = '/ws') {
  return { headers: { host: 'cam.local:8080', ...headers }, url };
}

describe('Authenticator', () => {
  it('refuses a request with no credentials', async () => {
    const { authenticator } = await make();
    assert.deepEqual(authenticator.authenticate(req()), { ok: false, status: 401 });
  });

  it('accepts a bearer token and a ?token= query, nothing close to them', async () => {
    const { authenticator } = await make();
    assert.deepEqual(authenticator.authenticate(req({ authorization: `Bearer ${TOKEN}` })), {
      ok: true,
      principal: { kind: 'token', viaCookie: false },
    });
    assert.equal(authenticator.authenticate(req({ authorization: `bearer   ${TOKEN}` })).ok, true);
    assert.equal(authenticator.authenticate(req({}, `/snapshot.jpg?x=1&token=${TOKEN}`)).ok, true);
    assert.equal(authenticator.authenticate(req({}, `/ws?token=${encodeURIComponent(TOKEN)}#frag`)).ok, true);
    for (const authorization of [`Basic ${TOKEN}`, `Bearer ${TOKEN}x`, `Bearer`, `Bearer ${TOKEN} extra`, TOKEN, '']) {
      assert.equal(authenticator.authenticate(req({ authorization })).ok, false, authorization);
    }
    for (const url of ['/ws?token=', `/ws?tokenx=${TOKEN}`, `/ws#token=${TOKEN}`, '/ws?token=%E0%A4%A', '/ws?%%%', '?']) {
      assert.equal(authenticator.authenticate(req({}, url)).ok, false, url);
    }
  });

  it('logs in with username and password, and the cookie then authenticates', async () => {
    const { authenticator } = await make();
    const login = await authenticator.login({ username: 'alice', password: 'alice-pw' }, '10.0.0.1');
    assert.ok(login.ok);
    assert.match(login.cookie!, /^wscam_session=[A-Za-z0-9_-]{43}; Max-Age=604800; Path=\/; HttpOnly; SameSite=Strict$/);
    const result = authenticator.authenticate(req({ cookie: `other=1; ${cookieOf(login.cookie)}` }));
    assert.ok(result.ok);
    assert.equal(result.principal.kind, 'session');
    assert.equal(result.principal.username, 'alice');
    assert.equal(result.principal.viaCookie, true);
    assert.equal(result.principal.sessionId, login.principal.sessionId);
    assert.ok(result.principal.sessionId && !login.cookie!.includes(result.principal.sessionId));
  });

  it('marks the cookie Secure under TLS', async () => {
    const { authenticator } = await make({ secure: true });
    const login = await authenticator.login({ username: 'alice', password: 'alice-pw' }, '10.0.0.1');
    assert.ok(login.ok && login.cookie!.endsWith('; Secure'));
  });

  it('exchanges a token for a session cookie', async () => {
    const { authenticator } = await make();
    const login = await authenticator.login({ token: TOKEN }, '10.0.0.1');
    assert.ok(login.ok);
    const result = authenticator.authenticate(req({ cookie: cookieOf(login.cookie) }));
    assert.ok(result.ok && result.principal.kind === 'session' && result.principal.username === undefined);
  });

  it('answers every bad login with the same 401 message', async () => {
    const { authenticator } = await make();
    const attempts = [
      { username: 'alice', password: 'wrong' },
      { username: 'nobody', password: 'alice-pw' },
      { username: 'alice', password: 'x'.repeat(5000) },
      { username: 'a'.repeat(200), password: 'pw' },
      { token: 'not-the-token-at-all' },
    ];
    for (const [i, body] of attempts.entries()) {
      const result = await authenticator.login(body, `10.0.1.${i}`);
      assert.deepEqual(result, { ok: false, status: 401, message: 'invalid credentials' });
    }
  });

  it('answers 400 to bodies that are not credentials', async () => {
    const { authenticator } = await make();
    for (const body of [
      undefined,
      null,
      'alice',
      42,
      [],
      {},
      { username: 'alice' },
      { username: 1, password: 2 },
      { username: 'alice', password: 'alice-pw', token: TOKEN },
      { token: 5 },
    ]) {
      const result = await authenticator.login(body, '10.0.0.1');
      assert.equal(result.ok, false);
      assert.ok(!result.ok && result.status === 400, JSON.stringify(body));
    }
  });

  it('refuses the 6th login after 5 failures a minute from one address with 429 and retry-after', async () => {
    const { authenticator, clock } = await make();
    for (let i = 0; i < 5; i += 1) {
      const result = await authenticator.login({ username: 'alice', password: `guess${i}` }, '10.0.0.9');
      assert.ok(!result.ok && result.status === 401);
    }
    const refused = await authenticator.login({ username: 'alice', password: 'alice-pw' }, '10.0.0.9');
    assert.ok(!refused.ok && refused.status === 429 && refused.retryAfterSeconds === 60, JSON.stringify(refused));
    const tokenToo = await authenticator.login({ token: TOKEN }, '10.0.0.9');
    assert.ok(!tokenToo.ok && tokenToo.status === 429);
    clock.now += 60_000;
    assert.equal((await authenticator.login({ username: 'alice', password: 'alice-pw' }, '10.0.0.9')).ok, true);
  });

  it('does not let parallel guesses slip past the limit', async () => {
    const { authenticator } = await make();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => authenticator.login({ username: 'alice', password: `guess${i}` }, '10.0.0.7')),
    );
    assert.equal(results.filter((r) => !r.ok && r.status === 429).length, 3);
  });

  it('counts failed tokens and cookies against the address: the 6th credential from it gets 429, right or wrong', async () => {
    const { authenticator, clock } = await make();
    const from = (remoteAddress: string, headers: IncomingHttpHeaders = {}, url = '/snapshot.jpg') => ({
      ...req(headers, url),
      socket: { remoteAddress },
    });
    const guesses = [
      from('10.0.0.5', {}, '/snapshot.jpg?token=guess-0123456789abcdef'),
      from('10.0.0.5', { authorization: 'Bearer guess-1123456789abcdef' }),
      from('10.0.0.5', { cookie: 'wscam_session=forged' }),
      from('10.0.0.5', { cookie: `wscam_session=${'A'.repeat(43)}` }, '/ws?token=guess'),
      from('10.0.0.5', { authorization: 'Bearer guess' }, '/ws?token=another-guess'),
    ];
    for (const guess of guesses) assert.deepEqual(authenticator.authenticate(guess), { ok: false, status: 401 });
    const refused = authenticator.authenticate(from('10.0.0.5', { authorization: `Bearer ${TOKEN}` }));
    assert.deepEqual(refused, { ok: false, status: 429, retryAfterSeconds: 60 }, 'the right token is refused too: no oracle');
    assert.deepEqual(retryAfterHeaders(refused), { 'Retry-After': '60' });
    assert.deepEqual(retryAfterHeaders({ ok: false, status: 401 }), {});
    assert.deepEqual(authenticator.authorizeUpgrade(from('10.0.0.5', {}, `/ws?token=${TOKEN}`)), {
      ok: false,
      status: 429,
      retryAfterSeconds: 60,
    });
    const login = await authenticator.login({ token: TOKEN }, '10.0.0.5');
    assert.ok(!login.ok && login.status === 429, 'failed tokens count against logins as well');
    assert.deepEqual(authenticator.authenticate(from('10.0.0.5')), { ok: false, status: 401 }, 'no credentials: no guess, no 429');
    assert.equal(authenticator.authenticate(from('10.0.0.6', {}, `/snapshot.jpg?token=${TOKEN}`)).ok, true, 'another address');
    clock.now += 30_000;
    assert.deepEqual(authenticator.authenticate(from('10.0.0.5', { cookie: 'wscam_session=x' })), {
      ok: false,
      status: 429,
      retryAfterSeconds: 30,
    });
    clock.now += 30_000;
    assert.equal(authenticator.authenticate(from('10.0.0.5', { authorization: `Bearer ${TOKEN}` })).ok, true, 'after the window');
  });

  it('a working credential is not counted, and a login clears the failures of its address', async () => {
    const { authenticator } = await make();
    const from = (headers: IncomingHttpHeaders, url = '/ws') => ({ ...req(headers, url), socket: { remoteAddress: '10.0.0.8' } });
    for (let i = 0; i < 20; i += 1) assert.equal(authenticator.authenticate(from({}, `/ws?token=${TOKEN}`)).ok, true);
    for (let i = 0; i < 4; i += 1) authenticator.authenticate(from({ cookie: `wscam_session=stale${i}` }));
    const login = await authenticator.login({ username: 'alice', password: 'alice-pw' }, '10.0.0.8');
    assert.ok(login.ok);
    for (let i = 0; i < 5; i += 1)
      assert.deepEqual(authenticator.authenticate(from({ cookie: `wscam_session=stale${i}` })), { ok: false, status: 401 });
    assert.equal(authenticator.authenticate(from({ cookie: cookieOf(login.cookie) })).ok, false, 'the 6th attempt is refused');
  });

  it('the same failed credential sent again is no new guess: a stale cookie on every reload never locks its host out', async () => {
    const { authenticator } = await make();
    const from = (headers: IncomingHttpHeaders, url = '/ws') => ({ ...req(headers, url), socket: { remoteAddress: '10.0.0.10' } });
    for (let i = 0; i < 50; i += 1) {
      assert.deepEqual(authenticator.authenticate(from({ cookie: 'wscam_session=expired-long-ago' })), { ok: false, status: 401 });
      assert.deepEqual(authenticator.authenticate(from({}, '/snapshot.jpg?token=old-token-from-a-script')), { ok: false, status: 401 });
    }
    assert.equal(authenticator.authenticate(from({ authorization: `Bearer ${TOKEN}` })).ok, true);
    for (let i = 0; i < 3; i += 1) authenticator.authenticate(from({ authorization: `Bearer guess${i}` }));
    assert.equal(authenticator.authenticate(from({ authorization: `Bearer ${TOKEN}` })).ok, false, 'five different guesses are');
  });

  it('logout ends the session, clears the cookie and fires onSessionEnded', async () => {
    const { authenticator } = await make();
    const ended: string[] = [];
    authenticator.onSessionEnded((id, reason) => ended.push(`${id}:${reason}`));
    const login = await authenticator.login({ username: 'alice', password: 'alice-pw' }, '10.0.0.1');
    assert.ok(login.ok);
    const cookie = cookieOf(login.cookie);
    const out = await authenticator.logout(req({ cookie }));
    assert.equal(out.ended, true);
    assert.match(out.cookie, /^wscam_session=; Max-Age=0;/);
    assert.deepEqual(ended, [`${login.principal.sessionId}:logout`]);
    assert.deepEqual(authenticator.authenticate(req({ cookie })), { ok: false, status: 401 });
    assert.equal((await authenticator.logout(req({ cookie }))).ended, false);
  });

  it('expires sessions after the idle time unless touched', async () => {
    const { authenticator, clock } = await make();
    const login = await authenticator.login({ username: 'alice', password: 'alice-pw' }, '10.0.0.1');
    assert.ok(login.ok);
    clock.now += 13 * 3600_000;
    assert.equal(authenticator.authenticate(req({ cookie: cookieOf(login.cookie) })).ok, false);
    const second = await authenticator.login({ username: 'alice', password: 'alice-pw' }, '10.0.0.1');
    assert.ok(second.ok);
    clock.now += 11 * 3600_000;
    assert.equal(authenticator.touchSession(second.principal.sessionId!), true);
    clock.now += 11 * 3600_000;
    assert.equal(authenticator.authenticate(req({ cookie: cookieOf(second.cookie) })).ok, true);
  });

  it('a changed password or removed user ends existing sessions', async () => {
    const first = await make();
    const login = await first.authenticator.login({ username: 'alice', password: 'alice-pw' }, '10.0.0.1');
    assert.ok(login.ok);
    const newHash = await hashPassword('new-pw');
    const changed = new Authenticator({
      auth: settings({ users: [{ username: 'alice', passwordHash: newHash }] }),
      sessions: first.sessions,
      secure: false,
      allowedOrigins: [],
    });
    assert.equal(changed.authenticate(req({ cookie: cookieOf(login.cookie) })).ok, false);
  });

  it('prefers the cookie, then the bearer token, then the query; a bad cookie falls through', async () => {
    const { authenticator } = await make();
    const login = await authenticator.login({ username: 'alice', password: 'alice-pw' }, '10.0.0.1');
    assert.ok(login.ok);
    const both = authenticator.authenticate(
      req({ cookie: cookieOf(login.cookie), authorization: `Bearer ${TOKEN}` }, `/ws?token=${TOKEN}`),
    );
    assert.ok(both.ok && both.principal.kind === 'session');
    const badCookie = authenticator.authenticate(req({ cookie: 'wscam_session=forged', authorization: `Bearer ${TOKEN}` }));
    assert.ok(badCookie.ok && badCookie.principal.kind === 'token');
    const badBearer = authenticator.authenticate(req({ authorization: 'Bearer nope' }, `/ws?token=${TOKEN}`));
    assert.ok(badBearer.ok && badBearer.principal.kind === 'token');
    const planted = authenticator.authenticate(req({ cookie: `wscam_session=planted; ${cookieOf(login.cookie)}` }));
    assert.ok(planted.ok && planted.principal.kind === 'session');
  });

  it('never throws on malformed cookies, headers or URLs', async () => {
    const { authenticator } = await make();
    const odd: IncomingHttpHeaders[] = [
      { cookie: 'wscam_session' },
      { cookie: 'wscam_session=;;;==' },
      { cookie: `wscam_session=${'A'.repeat(43)}` },
      { cookie: 'wscam_session="unterminated' },
      { cookie: '\u0000' },
      { cookie: 'x'.repeat(100_000) },
      { authorization: 'Bearer \u0000' },
      { authorization: 'x'.repeat(100_000) },
      { authorization: ['a', 'b'] as unknown as string },
      { cookie: ['wscam_session=a', 'b'] as unknown as string, origin: ['x'] as unknown as string },
      { host: undefined },
    ];
    // each case from its own address, so the failures do not add up to a throttled 429
    for (const [index, headers] of odd.entries()) {
      const socket = { remoteAddress: `10.1.0.${index}` };
      assert.deepEqual(authenticator.authenticate({ ...req(headers), socket }), { ok: false, status: 401 });
      assert.doesNotThrow(() => authenticator.authorizeUpgrade({ ...req(headers), socket }));
      await authenticator.logout(req(headers));
    }
    for (const [index, url] of [undefined, '', '?token', '/%', `/ws?token=${'%'.repeat(1000)}`].entries()) {
      assert.deepEqual(authenticator.authenticate({ headers: {}, url, socket: { remoteAddress: `10.2.0.${index}` } }), {
        ok: false,
        status: 401,
      });
    }
  });

  it('applies the Origin rule to upgrades that carry the session cookie', async () => {
    const { authenticator } = await make({ allowedOrigins: ['https://viewer.example.com'] });
    const login = await authenticator.login({ username: 'alice', password: 'alice-pw' }, '10.0.0.1');
    assert.ok(login.ok);
    const cookie = cookieOf(login.cookie);
    assert.equal(authenticator.authorizeUpgrade(req({ cookie, origin: 'http://cam.local:8080' })).ok, true);
    assert.equal(authenticator.authorizeUpgrade(req({ cookie, origin: 'https://viewer.example.com' })).ok, true);
    for (const origin of [undefined, 'null', 'http://evil.example', 'http://cam.local:8081', 'https://cam.local:8080']) {
      assert.deepEqual(authenticator.authorizeUpgrade(req({ cookie, origin })), { ok: false, status: 403 }, origin);
    }
    assert.deepEqual(authenticator.authorizeUpgrade(req({ origin: 'http://evil.example' })), { ok: false, status: 401 });
    assert.equal(authenticator.authorizeUpgrade(req({ authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' })).ok, true);
    assert.equal(authenticator.authorizeUpgrade(req({}, `/ws?token=${TOKEN}`)).ok, true);
    assert.deepEqual(
      authenticator.authorizeUpgrade(req({ cookie: 'wscam_session=stale', origin: 'http://evil.example' }, `/ws?token=${TOKEN}`)),
      { ok: false, status: 403 },
    );
  });

  it('lets everyone in as anonymous when auth is disabled', async () => {
    const { authenticator } = await make({ auth: settings({ disabled: true }) });
    assert.deepEqual(authenticator.authenticate(req()), { ok: true, principal: { kind: 'anonymous', viaCookie: false } });
    assert.equal(authenticator.authorizeUpgrade(req({ cookie: 'wscam_session=x', origin: 'http://evil.example' })).ok, true);
  });
});

describe('openAuthenticator', () => {
  it('creates and reuses the first-run token when no users or tokens are configured', async () => {
    const env = { STATE_DIRECTORY: join(root, 'open') };
    const auth = settings({ users: [], tokens: [] });
    const first = await openAuthenticator({ auth, secure: false, allowedOrigins: [], env });
    assert.ok(first.ok && first.value.firstRunToken?.created === true);
    const token = first.value.firstRunToken.token;
    assert.equal(first.value.authenticator.authenticate(req({}, `/?token=${token}`)).ok, true);
    await first.value.sessions?.stop();
    const second = await openAuthenticator({ auth, secure: false, allowedOrigins: [], env });
    assert.ok(second.ok);
    assert.deepEqual(second.value.firstRunToken, { token, created: false });
    await second.value.sessions?.stop();
    const configured = await openAuthenticator({ auth: settings(), secure: false, allowedOrigins: [], env });
    assert.ok(configured.ok && configured.value.firstRunToken === undefined);
    assert.equal(configured.value.authenticator.authenticate(req({}, `/?token=${token}`)).ok, false);
    await configured.value.sessions?.stop();
  });

  it('touches no disk when auth is disabled', async () => {
    const env = { STATE_DIRECTORY: '/proc/nonexistent/wscam' };
    const opened = await openAuthenticator({ auth: settings({ disabled: true }), secure: false, allowedOrigins: [], env });
    assert.ok(opened.ok && opened.value.sessions === undefined);
    const login = await opened.value.authenticator.login({ username: 'x', password: 'y' }, '10.0.0.1');
    assert.ok(login.ok && login.cookie === undefined);
  });
});
