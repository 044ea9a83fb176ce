import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ChunkKind } from '../../../src/protocol/header.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { makeSelfSignedPair } from '../../helpers/tls.js';
import { TestViewer } from '../../helpers/ws-viewer.js';
import {
  clientGauges,
  closedWithin,
  openSocket,
  OTHER_HOST,
  pipelineFlood,
  probeHealth,
  rawExchange,
  rssMiB,
  until,
} from './raw-clients.js';

const TOKEN = 'hostile-lan-token-0123456789';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
/** A real ffmpeg stands in for the camera, so memory figures are the HTTP side's and not a software encoder's. */
const CAMERA = {
  source: 'ffmpeg' as const,
  input: ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15'],
  width: 320,
  height: 240,
  fps: 15,
};

function startGuarded(config: Record<string, unknown> = {}): Promise<RunningDaemon> {
  return startDaemon({ config: { auth: { disabled: false, tokens: [TOKEN] }, audio: { enabled: false }, video: CAMERA, ...config } });
}

async function capturedJpegs(daemon: RunningDaemon): Promise<number> {
  const text = await (await fetch(`${daemon.baseUrl}/metrics`, { headers: AUTH })).text();
  return Number(/^wscam_chunks_captured_total\{kind="jpeg"\} (\d+)$/m.exec(text)?.[1]);
}

async function login(daemon: RunningDaemon): Promise<string> {
  const response = await fetch(`${daemon.baseUrl}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: TOKEN }),
  });
  assert.equal(response.status, 204);
  return /^(wscam_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')![1]!;
}

/** An MJPEG stream read from a raw socket: how many bytes came, and whether the daemon ended it. */
function mjpegReader(daemon: RunningDaemon, headers: string): { bytes: () => number; ended: Promise<void> } {
  let received = 0;
  const ended = new Promise<void>((resolve) => {
    void openSocket(daemon.port).then((socket) => {
      socket.on('data', (data: Buffer) => {
        received += data.length;
      });
      socket.on('close', () => resolve());
      socket.write(`GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`);
    });
  });
  return { bytes: () => received, ended };
}

describe('pipelined floods from another host', () => {
  test(
    '6 connections pipelining for 30 s: RSS under 150 MiB, every /healthz probe answered, the viewer keeps >= 90% of frames, SIGTERM exits 0',
    { timeout: 120_000 },
    async (t) => {
      const daemon = await startGuarded();
      const viewer = new TestViewer(`${daemon.wsUrl}?token=${TOKEN}`);
      try {
        await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= 5, 20000, 'frames before the attack');
        const framesBefore = viewer.of(ChunkKind.Jpeg).length;
        const capturedBefore = await capturedJpegs(daemon);
        // the page, a synchronous answer and an authentication refusal: every kind of cheap answer
        const floods = [
          pipelineFlood(daemon.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 2, OTHER_HOST),
          pipelineFlood(daemon.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 2, OTHER_HOST),
          pipelineFlood(daemon.port, 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 2, OTHER_HOST),
        ];
        const attackEnds = Date.now() + 30_000;
        let maxRss = 0;
        const probes: number[] = [];
        while (Date.now() < attackEnds) {
          const probe = await probeHealth(daemon, 5000);
          probes.push(probe.status);
          maxRss = Math.max(maxRss, rssMiB(daemon));
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        const opened = floods.reduce((sum, flood) => sum + flood.stop().opened, 0);
        const frames = viewer.of(ChunkKind.Jpeg).length - framesBefore;
        const captured = (await capturedJpegs(daemon)) - capturedBefore;
        const figures = `RSS max ${maxRss.toFixed(0)} MiB, probes ${probes.length} (${probes.filter((status) => status === 200).length} answered 200), frames ${frames} of ${captured}, attack connections ${opened}`;
        t.diagnostic(figures);
        assert.ok(maxRss < 150, figures);
        assert.ok(probes.length >= 10 && probes.every((status) => status === 200), figures);
        assert.ok(captured > 0 && frames >= 0.9 * captured, figures);
        assert.equal(viewer.closeCode, undefined, 'the viewer stayed connected');
      } finally {
        viewer.close();
        const exit = await daemon.stop();
        assert.deepEqual(exit, { code: 0, signal: null }, 'SIGTERM after the attack exits cleanly, before the helper would SIGKILL');
        assert.ok(!daemon.logLines().some((line) => line.msg === 'shutdown took too long, exiting anyway'), 'within the shutdown deadline');
      }
    },
  );
});

describe('one request at a time', () => {
  test(
    'a request pipelined behind one is not answered and the connection closes after the answer; an idle keep-alive connection is closed',
    { timeout: 60_000 },
    async () => {
      const daemon = await startGuarded();
      try {
        const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
        const pipelined = await rawExchange(daemon.port, request.repeat(2), 20000);
        assert.equal(pipelined.match(/^HTTP\/1\.1 /gm)?.length, 1, pipelined);
        assert.match(pipelined, /^HTTP\/1\.1 200/);
        const started = Date.now();
        const keptAlive = await rawExchange(daemon.port, request, 30000);
        assert.match(keptAlive, /^HTTP\/1\.1 200/);
        assert.ok(Date.now() - started < 29000, 'closed by the daemon, not by the test timeout');
      } finally {
        await daemon.stop();
      }
    },
  );
});

describe('connection slots', () => {
  test('one address holds at most a quarter of the slots; another host is served; idle sockets are cut', { timeout: 60_000 }, async () => {
    // clients.max 32 + 64 spare = 96 connection slots, 24 per address
    const daemon = await startGuarded({ clients: { max: 32 } });
    const hoarded = await Promise.all(Array.from({ length: 95 }, () => openSocket(daemon.port)));
    try {
      const stillOpen = async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return hoarded.filter((socket) => !socket.destroyed).length;
      };
      await until(async () => (await stillOpen()) <= 24, 5000, 'sockets over the share closed');
      assert.equal(await stillOpen(), 24, 'exactly the share stays open');
      // in batches of 10, inside the other host's own share
      const answers: string[] = [];
      for (let batch = 0; answers.length < 69; batch += 1) {
        const size = Math.min(10, 69 - answers.length);
        const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
        answers.push(...(await Promise.all(Array.from({ length: size }, () => rawExchange(daemon.port, request, 10000, OTHER_HOST)))));
      }
      assert.equal(answers.filter((answer) => answer.startsWith('HTTP/1.1 200')).length, 69, 'every request from the other host answered');
      const cut = await Promise.all(hoarded.map((socket) => closedWithin(socket, 20000)));
      assert.ok(cut.every(Boolean), 'sockets that never send a request are cut');
    } finally {
      for (const socket of hoarded) socket.destroy();
      await daemon.stop();
    }
  });

  test('one address holds at most a quarter of the viewer slots; another host still joins', { timeout: 60_000 }, async () => {
    const daemon = await startGuarded({ clients: { max: 8 } });
    const viewers: TestViewer[] = [];
    try {
      for (let index = 0; index < 2; index += 1) viewers.push(new TestViewer(`${daemon.wsUrl}?token=${TOKEN}`));
      await Promise.all(viewers.map((viewer) => viewer.opened));
      const third = new TestViewer(`${daemon.wsUrl}?token=${TOKEN}`);
      viewers.push(third);
      await assert.rejects(third.opened, /upgrade refused: 503/);
      const stream = await rawExchange(daemon.port, `GET /stream.mjpg HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`, 3000);
      assert.match(stream, /^HTTP\/1\.1 503/, 'an MJPEG stream is a viewer slot too');
      const other = new TestViewer(`${daemon.wsUrl}?token=${TOKEN}`, { localAddress: OTHER_HOST });
      viewers.push(other);
      await other.waitFor(() => other.of(ChunkKind.Jpeg).length >= 1, 20000, 'a frame for the other host');
      assert.deepEqual(await clientGauges(daemon, AUTH), { websocket: 3, mjpeg: 0 });
    } finally {
      for (const viewer of viewers) viewer.close();
      await daemon.stop();
    }
  });

  test('TLS: sockets that never send a ClientHello are cut', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wscam-tls-'));
    const pair = makeSelfSignedPair(dir, 'c');
    const daemon = await startGuarded({ server: { tls: pair } });
    const silent = await Promise.all(Array.from({ length: 10 }, () => openSocket(daemon.port)));
    try {
      const cut = await Promise.all(silent.map((socket) => closedWithin(socket, 20000)));
      assert.equal(cut.filter(Boolean).length, 10);
    } finally {
      for (const socket of silent) socket.destroy();
      await daemon.stop();
    }
  });
});

describe('MJPEG slots', () => {
  test(
    '40 pipelined stream requests on one connection, closed after 1.5 s, leave no slot; capture idles; a new viewer is served',
    { timeout: 60_000 },
    async () => {
      const daemon = await startGuarded({ video: { ...CAMERA, idleSeconds: 1 } });
      try {
        const socket = await openSocket(daemon.port, OTHER_HOST);
        socket.on('data', () => {});
        socket.write(`GET /stream.mjpg?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(40));
        await new Promise((resolve) => setTimeout(resolve, 1500));
        socket.destroy();
        await until(async () => (await clientGauges(daemon, AUTH)).mjpeg === 0, 10000, 'no MJPEG viewer counted');
        await daemon.waitForLog((line) => line.msg === 'no viewers: capture stopped', 15000);
        const health = (await (await fetch(`${daemon.baseUrl}/healthz`)).json()) as { capture: string; viewers: number };
        assert.equal(health.capture, 'idle');
        assert.equal(health.viewers, 0);
        const reader = mjpegReader(daemon, `Authorization: Bearer ${TOKEN}\r\n`);
        await until(() => reader.bytes() > 10_000, 20000, 'a new MJPEG viewer gets frames');
      } finally {
        await daemon.stop();
      }
    },
  );
});

describe('MJPEG write timeout', () => {
  test('an MJPEG client that stops reading is cut after two heartbeats and frees its slot', { timeout: 90_000 }, async () => {
    // big frames fill the loopback buffers within seconds
    const daemon = await startGuarded({
      video: { ...CAMERA, input: ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=15'], width: 1280, height: 720, quality: 95 },
      clients: { heartbeatSeconds: 1 },
    });
    try {
      const socket = await openSocket(daemon.port);
      socket.pause();
      socket.write(`GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
      await until(async () => (await clientGauges(daemon, AUTH)).mjpeg === 1, 10000, 'the stream counted');
      await daemon.waitForLog((line) => line.msg === 'mjpeg viewer stopped reading: cut', 60000);
      await until(async () => (await clientGauges(daemon, AUTH)).mjpeg === 0, 10000, 'the slot freed');
      socket.destroy();
    } finally {
      await daemon.stop();
    }
  });
});

describe('MJPEG streams are bound to their session', () => {
  test(
    'logout ends a cookie MJPEG stream; watching keeps the session in use; expiry ends streams and WebSockets',
    { timeout: 90_000 },
    async () => {
      // sessions idle out after 3.6 s and end 8.6 s after login; heartbeats every second
      const daemon = await startGuarded({
        auth: { disabled: false, tokens: [TOKEN], sessionIdleHours: 0.001, sessionMaxDays: 0.0001 },
        clients: { heartbeatSeconds: 1 },
      });
      try {
        const cookie = await login(daemon);
        const first = mjpegReader(daemon, `Cookie: ${cookie}\r\n`);
        await until(() => first.bytes() > 10_000, 20000, 'frames on the cookie stream');
        const bystander = mjpegReader(daemon, `Authorization: Bearer ${TOKEN}\r\n`);
        await until(() => bystander.bytes() > 10_000, 20000, 'frames on the token stream');
        const out = await fetch(`${daemon.baseUrl}/api/logout`, { method: 'POST', headers: { Cookie: cookie } });
        assert.equal(out.status, 204);
        await first.ended;
        const afterLogout = bystander.bytes();
        await until(() => bystander.bytes() > afterLogout + 10_000, 20000, 'the token stream goes on');

        const loggedInAt = Date.now();
        const second = await login(daemon);
        const stream = mjpegReader(daemon, `Cookie: ${second}\r\n`);
        const ws = new TestViewer(daemon.wsUrl, { headers: { Cookie: second }, origin: daemon.baseUrl });
        await ws.waitFor(() => ws.of(ChunkKind.Jpeg).length >= 1, 20000, 'frames on the cookie WebSocket');
        // past the idle limit, the session is still in use because it is being watched
        await until(() => Date.now() - loggedInAt > 5000, 10000, 'past the idle limit');
        const session = (await (await fetch(`${daemon.baseUrl}/api/session`, { headers: { Cookie: second } })).json()) as {
          authenticated: boolean;
        };
        assert.equal(session.authenticated, true, 'watching touched the session');
        const [closed] = await Promise.all([ws.closed, stream.ended]);
        assert.equal(closed.code, 1008);
        assert.ok(Date.now() - loggedInAt >= 8000, 'ended by the session expiry');
        assert.deepEqual(await clientGauges(daemon, AUTH), { websocket: 0, mjpeg: 1 }, 'only the token stream is left');
      } finally {
        await daemon.stop();
      }
    },
  );
});

describe('shutdown', () => {
  test('SIGTERM ends MJPEG streams and closes WebSockets with 1001, and exits 0', { timeout: 60_000 }, async () => {
    const daemon = await startGuarded();
    const stream = mjpegReader(daemon, `Authorization: Bearer ${TOKEN}\r\n`);
    const viewer = new TestViewer(`${daemon.wsUrl}?token=${TOKEN}`);
    await until(() => stream.bytes() > 10_000, 20000, 'frames on the stream');
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= 1, 20000, 'frames on the WebSocket');
    const [exit, closed] = await Promise.all([daemon.stop(), viewer.closed, stream.ended]);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(closed.code, 1001);
  });
});

describe('refusals are logged as counts', () => {
  test('1000 unauthenticated upgrades and requests make a few count lines, not a line each', { timeout: 90_000 }, async () => {
    const daemon = await startGuarded();
    try {
      // batches of 10 stay well inside one address's share of the connection slots
      for (let batch = 0; batch < 100; batch += 1) {
        await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            rawExchange(
              daemon.port,
              index % 2 === 0
                ? 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'
                : 'GET /snapshot.jpg?token=wrong-guess-000000 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
              5000,
              OTHER_HOST,
            ),
          ),
        );
      }
      const countLines = () => daemon.logLines().filter((entry) => entry.msg === 'refused requests');
      // whatever status a refusal has (401, or 429 once guessing is throttled), each is counted once
      const counted = (prefix: string) =>
        countLines().reduce(
          (sum, entry) =>
            sum +
            Object.entries(entry.reasons as Record<string, number>).reduce(
              (part, [reason, count]) => part + (reason.startsWith(prefix) ? count : 0),
              0,
            ),
          0,
        );
      await until(() => counted('upgrade ') + counted('request ') >= 1000, 30000, 'every refusal counted');
      assert.equal(counted('upgrade '), 500);
      assert.equal(counted('request '), 500);
      assert.ok(countLines().length <= 4, `${countLines().length} count lines`);
      assert.ok(daemon.logLines().length < 100, `${daemon.logLines().length} log lines in all`);
    } finally {
      await daemon.stop();
    }
  });
});

describe('small ones', () => {
  test(
    'an oversized message is closed with 1009 and a reason; the page may connect only to its own origin',
    { timeout: 30_000 },
    async () => {
      const daemon = await startGuarded();
      const viewer = new TestViewer(`${daemon.wsUrl}?token=${TOKEN}`);
      try {
        await viewer.waitFor(() => viewer.hello !== undefined, 15000, 'hello');
        viewer.ws.send('x'.repeat(5000));
        assert.deepEqual(await viewer.closed, { code: 1009, reason: 'message too big' });
        const csp = (await fetch(`${daemon.baseUrl}/`)).headers.get('content-security-policy') ?? '';
        assert.match(csp, /connect-src 'self';/);
        assert.doesNotMatch(csp, /ws:|wss:/);
      } finally {
        viewer.close();
        await daemon.stop();
      }
    },
  );
});
