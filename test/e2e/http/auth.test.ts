import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ChunkKind } from '../../../src/protocol/header.js';
import { MAIN_JS, secretsInLog, startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { makeSelfSignedPair } from '../../helpers/tls.js';
import { TestViewer } from '../../helpers/ws-viewer.js';

const PASSWORD = 'correct horse battery staple';
const TOKEN = 'test-token-0123456789abcdef';
const daemons: RunningDaemon[] = [];

function hashPassword(password: string): string {
  const run = spawnSync(process.execPath, [MAIN_JS, 'hash-password'], { input: `${password}\n`, encoding: 'utf8', timeout: 20000 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

async function login(daemon: RunningDaemon, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${daemon.baseUrl}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function sessionCookieOf(response: Response): string {
  const header = response.headers.get('set-cookie') ?? '';
  const match = /^(wscam_session=[^;]+)/.exec(header);
  assert.ok(match, `a session cookie in ${header.replace(/=[^;]+/, '=…')}`);
  return match[1]!;
}

/** Everything the daemons printed must be free of secrets, but for the one first-run URL line. */
function assertNoSecretsLogged(secrets: string[]): void {
  for (const daemon of daemons) {
    const lines = daemon
      .output()
      .split('\n')
      .filter((line) => !line.includes('"msg":"open the viewer"'));
    for (const secret of secrets) {
      for (const line of lines) assert.ok(!line.includes(secret), `a log line carries a secret: ${line.slice(0, 200)}`);
    }
  }
}

describe('auth with users and tokens', () => {
  let daemon: RunningDaemon;
  let hash: string;
  const cookies: string[] = [];

  before(async () => {
    hash = hashPassword(PASSWORD);
    assert.match(hash, /^scrypt\$16384\$8\$1\$/);
    daemon = await startDaemon({
      config: {
        auth: { disabled: false, users: [{ username: 'owner', passwordHash: hash }], tokens: [TOKEN] },
        server: { allowedOrigins: ['https://camera.example'] },
        video: { width: 160, height: 120 },
      },
    });
    daemons.push(daemon);
  });
  after(async () => {
    await daemon.stop();
    assertNoSecretsLogged([PASSWORD, TOKEN, hash, ...cookies.map((cookie) => cookie.split('=')[1]!)]);
  });

  test('the page and /healthz are public; streams, metrics and logout are not', async () => {
    const page = await fetch(`${daemon.baseUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'.*frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal((await fetch(`${daemon.baseUrl}/healthz`)).status, 200);
    for (const path of ['/snapshot.jpg', '/stream.mjpg', '/metrics'])
      assert.equal((await fetch(`${daemon.baseUrl}${path}`)).status, 401, path);
    assert.equal((await fetch(`${daemon.baseUrl}/api/logout`, { method: 'POST' })).status, 401);
    assert.equal((await fetch(`${daemon.baseUrl}/api/session`)).status, 401);
    const viewer = new TestViewer(daemon.wsUrl);
    await assert.rejects(viewer.opened, /upgrade refused: 401/);
  });

  test('bearer and ?token= credentials open every stream', async () => {
    const bearer = await fetch(`${daemon.baseUrl}/snapshot.jpg`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(bearer.status, 200);
    assert.equal((await fetch(`${daemon.baseUrl}/metrics?token=${TOKEN}`)).status, 200);
    assert.equal((await fetch(`${daemon.baseUrl}/metrics?token=wrong-token-0123456789`)).status, 401);
    const viewer = new TestViewer(`${daemon.wsUrl}?token=${TOKEN}`);
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= 1, 15000, 'frames with ?token=');
    viewer.close();
    const withHeader = new TestViewer(daemon.wsUrl, { headers: { Authorization: `Bearer ${TOKEN}` } });
    await withHeader.waitFor(() => withHeader.of(ChunkKind.Jpeg).length >= 1, 15000, 'frames with a bearer token');
    withHeader.close();
  });

  test('login sets a strict HttpOnly session cookie; bad logins get one generic 401', async () => {
    const good = await login(daemon, { username: 'owner', password: PASSWORD });
    assert.equal(good.status, 204);
    const header = good.headers.get('set-cookie') ?? '';
    assert.match(header, /HttpOnly/i);
    assert.match(header, /SameSite=Strict/i);
    assert.match(header, /Path=\//);
    assert.doesNotMatch(header, /Secure/i);
    const cookie = sessionCookieOf(good);
    cookies.push(cookie);
    const session = await fetch(`${daemon.baseUrl}/api/session`, { headers: { Cookie: cookie } });
    assert.deepEqual(await session.json(), { authenticated: true, kind: 'session', username: 'owner' });
    assert.equal((await fetch(`${daemon.baseUrl}/snapshot.jpg`, { headers: { Cookie: cookie } })).status, 200);
    // Session ids are never taken from the URL.
    assert.equal((await fetch(`${daemon.baseUrl}/snapshot.jpg?wscam_session=${cookie.split('=')[1]}`)).status, 401);

    const wrongPassword = await login(daemon, { username: 'owner', password: 'nope' }, { 'X-Forwarded-For': '1.2.3.4' });
    const wrongUser = await login(daemon, { username: 'nobody', password: PASSWORD });
    assert.equal(wrongPassword.status, 401);
    assert.equal(wrongUser.status, 401);
    assert.deepEqual(await wrongPassword.json(), await wrongUser.json());
    assert.equal((await login(daemon, '{"username":')).status, 400);
    assert.equal((await login(daemon, { username: 'x'.repeat(5000), password: 'y' })).status, 413);
    assert.equal((await fetch(`${daemon.baseUrl}/api/login`, { method: 'POST', body: 'username=owner' })).status, 415);
  });

  test('a cookie-authenticated upgrade needs its own Origin or an allowed one', async () => {
    const cookie = sessionCookieOf(await login(daemon, { username: 'owner', password: PASSWORD }));
    cookies.push(cookie);
    const origin = daemon.baseUrl;
    const own = new TestViewer(daemon.wsUrl, { headers: { Cookie: cookie }, origin });
    await own.waitFor(() => own.of(ChunkKind.Jpeg).length >= 1, 15000, 'frames with a cookie');
    own.close();
    const listed = new TestViewer(daemon.wsUrl, { headers: { Cookie: cookie }, origin: 'https://camera.example' });
    await listed.opened;
    listed.close();
    for (const bad of ['https://evil.example', 'http://127.0.0.1.evil.example', 'https://camera.example.evil', 'null']) {
      const refused = new TestViewer(daemon.wsUrl, { headers: { Cookie: cookie }, origin: bad });
      await assert.rejects(refused.opened, /upgrade refused: 403/, bad);
    }
    const noOrigin = new TestViewer(daemon.wsUrl, { headers: { Cookie: cookie } });
    await assert.rejects(noOrigin.opened, /upgrade refused: 403/);
  });

  test('logout ends the session and closes its WebSockets', async () => {
    const cookie = sessionCookieOf(await login(daemon, { username: 'owner', password: PASSWORD }));
    cookies.push(cookie);
    const viewer = new TestViewer(daemon.wsUrl, { headers: { Cookie: cookie }, origin: daemon.baseUrl });
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= 1, 15000, 'frames');
    const bystander = new TestViewer(`${daemon.wsUrl}?token=${TOKEN}`);
    await bystander.opened;
    const out = await fetch(`${daemon.baseUrl}/api/logout`, { method: 'POST', headers: { Cookie: cookie, Origin: daemon.baseUrl } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /wscam_session=;.*Max-Age=0/i);
    const closed = await viewer.closed;
    assert.equal(closed.code, 1008);
    assert.equal((await fetch(`${daemon.baseUrl}/snapshot.jpg`, { headers: { Cookie: cookie } })).status, 401);
    assert.equal(bystander.closeCode, undefined);
    bystander.close();
  });

  test('more than 5 failed logins a minute from one address get 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const response = await login(daemon, { username: `guess${attempt}`, password: 'wrong' });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    assert.ok(statuses.includes(429), statuses.join(','));
    assert.ok(Number(retryAfter) > 0 && Number(retryAfter) <= 60, `Retry-After ${retryAfter}`);
    // The owner, already trusted from this address, is not locked out by a stranger's guesses.
    assert.notEqual((await login(daemon, { username: 'owner', password: PASSWORD })).status, 401);
  });
});

describe('first run: no users, no tokens', () => {
  test('a random token is made once, kept 0600 in the state directory, and only the viewer URL line shows it', async () => {
    const stateDir = join(mkdtempSync(join(tmpdir(), 'wscam-state-')), 'state');
    const first = await startDaemon({ config: { auth: { disabled: false }, video: { width: 160, height: 120 } }, stateDir });
    daemons.push(first);
    const line = await first.waitForLog((entry) => entry.msg === 'open the viewer');
    const url = new URL(String(line.viewerUrl));
    const token = url.searchParams.get('token') ?? '';
    assert.match(token, /^[0-9a-f]{32}$/);
    const files = execFileSync('ls', [stateDir], { encoding: 'utf8' });
    assert.match(files, /first-run-token/);
    assert.equal(statSync(join(stateDir, 'first-run-token')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(stateDir, 'first-run-token'), 'utf8').trim(), token);
    assert.equal((await fetch(`${first.baseUrl}/snapshot.jpg`)).status, 401);
    assert.equal((await fetch(`${first.baseUrl}/snapshot.jpg?token=${token}`)).status, 200);
    const exchanged = await login(first, { token });
    assert.equal(exchanged.status, 204);
    await first.stop();
    const second = await startDaemon({ config: { auth: { disabled: false } }, stateDir });
    daemons.push(second);
    const again = await second.waitForLog((entry) => entry.msg === 'open the viewer');
    assert.equal(new URL(String(again.viewerUrl)).searchParams.get('token'), token);
    await second.stop();
    assertNoSecretsLogged([token]);
  });
});

describe('TLS', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wscam-tls-'));
    for (const name of ['a', 'b']) makeSelfSignedPair(dir, name);
  });

  test('HTTPS and WSS on the one port, with Secure cookies', async () => {
    const daemon = await startDaemon({
      config: {
        server: { tls: { cert: join(dir, 'a.crt'), key: join(dir, 'a.key') } },
        auth: { disabled: false, tokens: [TOKEN] },
        video: { width: 160, height: 120 },
      },
    });
    daemons.push(daemon);
    try {
      assert.match(daemon.baseUrl, /^https:/);
      const ca = readFileSync(join(dir, 'a.crt'));
      const answer = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
        const req = httpsRequest(
          `${daemon.baseUrl}/api/login`,
          { method: 'POST', agent: new HttpsAgent({ ca }), headers: { 'Content-Type': 'application/json' } },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie'] ?? '') });
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ token: TOKEN }));
      });
      assert.equal(answer.status, 204);
      assert.match(answer.cookie, /; Secure/i);
      const viewer = new TestViewer(`${daemon.wsUrl}?token=${TOKEN}`, { ca });
      await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= 1, 15000, 'frames over WSS');
      viewer.close();
    } finally {
      await daemon.stop();
    }
  });

  test('missing and mismatched certificate files are clear errors (exit 2)', () => {
    const configFile = join(dir, 'bad.json');
    const cases: Array<[object, RegExp]> = [
      [{ cert: join(dir, 'missing.crt'), key: join(dir, 'a.key') }, /server\.tls: cannot read .*missing\.crt: ENOENT/],
      [{ cert: join(dir, 'a.crt'), key: join(dir, 'b.key') }, /server\.tls: .*the key does not belong to the certificate/],
    ];
    for (const [tls, expected] of cases) {
      writeFileSync(configFile, JSON.stringify({ server: { tls }, auth: { disabled: true } }));
      const run = spawnSync(process.execPath, [MAIN_JS, '--config', configFile, '--port', '0', '--host', '127.0.0.1'], {
        encoding: 'utf8',
        timeout: 10000,
      });
      assert.equal(run.status, 2);
      assert.match(run.stdout + run.stderr, expected);
    }
  });
});

test('the log check every stopped test daemon goes through finds each kind of secret', () => {
  const lines = [
    '{"msg":"x","url":"/snapshot.jpg?token=abcdef0123456789"}',
    '{"msg":"x","cookie":"wscam_session=AbCdEf0123456789"}',
    '{"msg":"x","hash":"scrypt$16384$8$1$salt$key"}',
    '{"msg":"x","header":"Bearer abcdef0123456789"}',
    '{"msg":"x","body":{"password":"hunter2"}}',
  ];
  assert.equal(secretsInLog(lines.join('\n')).length, lines.length);
  assert.deepEqual(secretsInLog('{"msg":"open the viewer","viewerUrl":"http://h:1/?token=abcdef0123456789"}\n{"msg":"listening"}'), []);
});
