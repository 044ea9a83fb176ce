import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { ChunkKind } from '../../../src/protocol/header.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { TestViewer } from '../../helpers/ws-viewer.js';

const TOKEN = 'owner-token-0123456789abcdef';
/** Failures allowed per address and minute before 429 (the login throttle's limit). */
const ALLOWED_FAILURES = 5;
const OWNER = '127.0.0.2';

interface Answer {
  status: number;
  retryAfter: string | undefined;
  /** The whole head of the answer. */
  head: string;
}

/** One request on its own raw connection from `localAddress`; resolves with the head of the answer. */
function rawRequest(daemon: RunningDaemon, localAddress: string, requestLine: string, headers: string[] = [], body = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: daemon.port, localAddress });
    let text = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer within 10 s to ${requestLine}`)));
    socket.setEncoding('latin1');
    const lines = [
      requestLine,
      'Host: 127.0.0.1',
      'Connection: close',
      ...headers,
      ...(body ? [`Content-Length: ${Buffer.byteLength(body)}`] : []),
    ];
    socket.on('connect', () => socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`));
    socket.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.destroy();
      const head = text.slice(0, end);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), retryAfter: /\r\nRetry-After: (\d+)/i.exec(head)?.[1], head });
    });
    socket.on('error', reject);
  });
}

function tokenLogin(daemon: RunningDaemon, localAddress: string, token: string): Promise<Answer> {
  return rawRequest(daemon, localAddress, 'POST /api/login HTTP/1.1', ['Content-Type: application/json'], JSON.stringify({ token }));
}

/** The answer to a WebSocket upgrade from `localAddress`: 101, or the refusal's status and Retry-After. */
function upgrade(daemon: RunningDaemon, localAddress: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${daemon.port}${path}`, { localAddress, handshakeTimeout: 10_000 });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], head: '' });
      ws.terminate();
    });
    ws.on('open', () => {
      resolve({ status: 101, retryAfter: undefined, head: '' });
      ws.terminate();
    });
    ws.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

function assertThrottled(answers: Answer[], what: string): void {
  const statuses = answers.map((answer) => answer.status);
  assert.deepEqual(statuses.slice(0, ALLOWED_FAILURES), Array(ALLOWED_FAILURES).fill(401), `${what}: ${statuses.join(',')}`);
  assert.deepEqual(statuses.slice(ALLOWED_FAILURES), Array(answers.length - ALLOWED_FAILURES).fill(429), `${what}: ${statuses.join(',')}`);
  for (const answer of answers.slice(ALLOWED_FAILURES)) {
    assert.ok(Number(answer.retryAfter) >= 1 && Number(answer.retryAfter) <= 60, `${what}: Retry-After ${answer.retryAfter}`);
  }
}

async function ownerSnapshot(daemon: RunningDaemon): Promise<number> {
  return (await rawRequest(daemon, OWNER, `GET /snapshot.jpg?token=${TOKEN} HTTP/1.1`)).status;
}

describe('guessing tokens and cookies is throttled on every path, like logins', () => {
  let daemon: RunningDaemon;
  before(async () => {
    daemon = await startDaemon({
      config: { auth: { disabled: false, tokens: [TOKEN] }, video: { width: 160, height: 120 }, audio: { enabled: false } },
    });
  });
  after(async () => {
    await daemon.stop();
  });

  test('?token= guesses on HTTP paths: 5 answered 401, the rest 429 with Retry-After; the owner on another host keeps working', async () => {
    const attacker = '127.0.0.3';
    const paths = ['GET /snapshot.jpg', 'GET /stream.mjpg', 'GET /metrics', 'HEAD /snapshot.jpg', 'POST /api/logout'];
    const answers: Answer[] = [];
    for (let i = 0; i < 60; i += 1) {
      answers.push(await rawRequest(daemon, attacker, `${paths[i % paths.length]}?token=guess-${i}-0123456789abcdef HTTP/1.1`));
      if (i % 20 === 19) assert.equal(await ownerSnapshot(daemon), 200, 'the owner, mid-attack');
    }
    assertThrottled(answers, '?token=');
    assert.equal(
      (await rawRequest(daemon, attacker, `GET /snapshot.jpg?token=${TOKEN} HTTP/1.1`)).status,
      429,
      'the right token from the guessing host: no oracle',
    );
    assert.equal(await ownerSnapshot(daemon), 200);
  });

  test('Bearer guesses and unknown session cookies are throttled the same way', async () => {
    const bearer: Answer[] = [];
    const cookie: Answer[] = [];
    for (let i = 0; i < 30; i += 1) {
      bearer.push(
        await rawRequest(daemon, '127.0.0.4', 'GET /snapshot.jpg HTTP/1.1', [`Authorization: Bearer guess-${i}-0123456789abcdef`]),
      );
      cookie.push(await rawRequest(daemon, '127.0.0.5', 'GET /metrics HTTP/1.1', [`Cookie: wscam_session=${String(i).padStart(43, 'A')}`]));
    }
    assertThrottled(bearer, 'Bearer');
    assertThrottled(cookie, 'cookie');
    assert.equal(await ownerSnapshot(daemon), 200);
  });

  test('WebSocket upgrades with wrong credentials get 429 with Retry-After; the owner still watches from another host', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 20; i += 1) answers.push(await upgrade(daemon, '127.0.0.6', `/ws?token=guess-${i}-0123456789abcdef`));
    assertThrottled(answers, 'upgrade');
    assert.equal((await upgrade(daemon, '127.0.0.6', `/ws?token=${TOKEN}`)).status, 429);
    const login = await tokenLogin(daemon, OWNER, TOKEN);
    const cookie = /Set-Cookie: (wscam_session=[^;]+)/i.exec(login.head)?.[1];
    assert.ok(cookie, `a session cookie for the owner: ${login.status}`);
    const owner = new TestViewer(`ws://127.0.0.1:${daemon.port}/ws`, {
      headers: { Cookie: cookie },
      origin: daemon.baseUrl,
      localAddress: OWNER,
    });
    await owner.waitFor(() => owner.of(ChunkKind.Jpeg).length >= 2, 20_000, 'frames for the owner');
    owner.close();
  });

  test('failures on one path count on all of them, logins included', async () => {
    const attacker = '127.0.0.7';
    for (let i = 0; i < ALLOWED_FAILURES; i += 1) assert.equal((await upgrade(daemon, attacker, `/ws?token=guess-${i}`)).status, 401);
    assert.equal((await rawRequest(daemon, attacker, `GET /snapshot.jpg?token=${TOKEN} HTTP/1.1`)).status, 429);
    const login = await tokenLogin(daemon, attacker, TOKEN);
    assert.equal(login.status, 429);
    assert.equal(await ownerSnapshot(daemon), 200);
  });

  test('a viewer that keeps sending one stale cookie is not guessing: its host is never locked out', async () => {
    const viewer = '127.0.0.8';
    const stale = `wscam_session=${'S'.repeat(43)}`;
    for (let i = 0; i < 15; i += 1) {
      assert.equal(
        (
          await rawRequest(daemon, viewer, 'GET /ws HTTP/1.1', [
            `Cookie: ${stale}`,
            'Upgrade: websocket',
            'Connection: Upgrade',
            'Sec-WebSocket-Version: 13',
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          ])
        ).status,
        401,
      );
      assert.equal((await rawRequest(daemon, viewer, 'GET /api/session HTTP/1.1', [`Cookie: ${stale}`])).status, 401);
    }
    assert.equal((await tokenLogin(daemon, viewer, TOKEN)).status, 204);
  });
});
