import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { ChunkKind } from '../../../src/protocol/header.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { isWholeJpeg, TestViewer } from '../../helpers/ws-viewer.js';
import { clientGauges, rawExchange, until } from './raw-clients.js';

describe('daemon on the synthetic source', () => {
  let daemon: RunningDaemon;
  const viewers: TestViewer[] = [];
  const viewer = (path = '') => {
    const created = new TestViewer(`${daemon.wsUrl}${path}`);
    viewers.push(created);
    return created;
  };

  before(async () => {
    daemon = await startDaemon({ config: { video: { width: 320, height: 240, fps: 15 }, clients: { max: 8 } } });
  });
  // One address holds at most a quarter of the viewer slots, so each test starts with none of its own.
  afterEach(async () => {
    for (const open of viewers.splice(0)) open.close();
    await until(async () => (await clientGauges(daemon)).websocket === 0, 10000, 'viewers gone');
  });
  after(async () => {
    await daemon.stop();
  });

  test('hello, then whole JPEG frames with rising sequence and capture times near now, and audio', async () => {
    const client = viewer();
    await client.waitFor(() => client.of(ChunkKind.Jpeg).length >= 10 && client.of(ChunkKind.Pcm).length >= 10, 20000, 'frames');
    assert.deepEqual(client.hello, {
      type: 'hello',
      version: 1,
      video: { codec: 'jpeg', width: 320, height: 240, fps: 15 },
      audio: { codec: 'pcm_s16le', sampleRate: 48000, channels: 1 },
    });
    const frames = client.of(ChunkKind.Jpeg);
    for (const frame of frames) assert.ok(isWholeJpeg(frame.payload), 'whole JPEG');
    for (let index = 1; index < frames.length; index += 1) {
      assert.ok(frames[index]!.sequence > frames[index - 1]!.sequence, 'sequence rises');
      assert.ok(frames[index]!.captureTimeUs >= frames[index - 1]!.captureTimeUs, 'capture time rises');
    }
    for (const chunk of client.chunks) {
      assert.ok(Math.abs(chunk.receivedAtUs - chunk.captureTimeUs) < 2_000_000, 'capture time is near now');
    }
    const audio = client.of(ChunkKind.Pcm);
    assert.ok(
      audio.every((chunk) => chunk.payload.length === 1920),
      '20 ms of 48 kHz mono s16le',
    );
    assert.ok(
      audio.some((chunk) => chunk.payload.readInt16LE(200) !== 0),
      'the tone is not silence',
    );
  });

  test('subscribe video:false stops video and keeps audio', async () => {
    const client = viewer();
    await client.waitFor(() => client.of(ChunkKind.Jpeg).length >= 1, 15000, 'first frame');
    client.ws.send(JSON.stringify({ type: 'subscribe', video: false, audio: true }));
    // Frames queued before the subscribe took effect may still arrive, however many; then only audio.
    const audioSinceLastFrame = () => {
      let count = 0;
      for (let index = client.chunks.length - 1; index >= 0 && client.chunks[index]!.kind !== ChunkKind.Jpeg; index -= 1) count += 1;
      return count;
    };
    await client.waitFor(() => audioSinceLastFrame() >= 35, 30000, '35 audio chunks after the last video frame');
    const videoCount = client.of(ChunkKind.Jpeg).length;
    client.ws.send(JSON.stringify({ type: 'subscribe', video: true, audio: false }));
    await client.waitFor(() => client.of(ChunkKind.Jpeg).length > videoCount + 2, 30000, 'video again');
  });

  const hostile: Array<[string, (client: TestViewer) => void, number]> = [
    ['binary message', (client) => client.ws.send(Buffer.from([1, 2, 3])), 1003],
    ['not JSON', (client) => client.ws.send('hello?'), 1003],
    ['unknown type', (client) => client.ws.send('{"type":"reboot"}'), 1008],
    ['wrong field type', (client) => client.ws.send('{"type":"subscribe","video":1}'), 1008],
    ['oversized message', (client) => client.ws.send(JSON.stringify({ type: 'subscribe', pad: 'x'.repeat(5000) })), 1009],
    [
      'message flood',
      (client) => {
        for (let index = 0; index < 30; index += 1) client.ws.send('{"type":"subscribe","video":true,"audio":true}');
      },
      1008,
    ],
  ];
  for (const [name, send, code] of hostile) {
    test(`hostile ${name}: closes only its sender with ${code}`, async () => {
      const bystander = viewer();
      const attacker = viewer();
      await Promise.all([attacker.opened, bystander.opened]);
      await attacker.waitFor(() => attacker.hello !== undefined, 5000, 'hello');
      send(attacker);
      const { code: closedWith } = await attacker.closed;
      assert.equal(closedWith, code);
      const before = bystander.of(ChunkKind.Jpeg).length;
      await bystander.waitFor(() => bystander.of(ChunkKind.Jpeg).length >= before + 3, 10000, 'bystander frames');
      assert.equal(bystander.closeCode, undefined);
      bystander.close();
    });
  }

  test('traversal attempts never leave web/', async () => {
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/%2e%2e%2f%2e%2e%2fetc/passwd',
      '/....//package.json',
      '/%00index.html',
      '/..\\package.json',
    ]) {
      const answer = await rawExchange(daemon.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      const status = Number(answer.split(' ')[1]);
      assert.ok([400, 404].includes(status), `${path} → ${answer.split('\r\n')[0]}`);
      assert.doesNotMatch(answer, /"name": "wscam"|root:x:0/);
    }
    const page = await fetch(`${daemon.baseUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal((await fetch(`${daemon.baseUrl}/nothing-here.js`)).status, 404);
  });

  test('snapshot, MJPEG stream, health and metrics', async () => {
    const snapshot = await fetch(`${daemon.baseUrl}/snapshot.jpg`);
    assert.equal(snapshot.status, 200);
    assert.equal(snapshot.headers.get('content-type'), 'image/jpeg');
    assert.ok(isWholeJpeg(Buffer.from(await snapshot.arrayBuffer())));
    const health = await fetch(`${daemon.baseUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const metrics = await (await fetch(`${daemon.baseUrl}/metrics`)).text();
    assert.match(metrics, /^wscam_chunks_captured_total\{kind="jpeg"\} [1-9]/m);
    assert.match(metrics, /^wscam_clients\{transport="websocket"\} \d+/m);
    const head = await fetch(`${daemon.baseUrl}/stream.mjpg`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-type') ?? '', /^multipart\/x-mixed-replace/);
    const controller = new AbortController();
    const stream = await fetch(`${daemon.baseUrl}/stream.mjpg`, { signal: controller.signal });
    assert.match(stream.headers.get('content-type') ?? '', /^multipart\/x-mixed-replace; boundary=wscamframe/);
    const reader = stream.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    let received = Buffer.alloc(0);
    const deadline = Date.now() + 10000;
    while ((received.toString('latin1').match(/--wscamframe\r\n/g)?.length ?? 0) < 3 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      received = Buffer.concat([received, value]);
    }
    controller.abort();
    const parts = received.toString('latin1').split('--wscamframe\r\n').slice(1, 3);
    assert.equal(parts.length, 2);
    for (const part of parts) {
      const [head, body] = [part.slice(0, part.indexOf('\r\n\r\n')), Buffer.from(part.slice(part.indexOf('\r\n\r\n') + 4), 'latin1')];
      const length = Number(/Content-Length: (\d+)/.exec(head)?.[1]);
      assert.ok(isWholeJpeg(body.subarray(0, length)));
    }
  });

  test('slowloris: a request that never finishes its headers is cut off by the server', async () => {
    const started = Date.now();
    const answer = await rawExchange(daemon.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1', 30000);
    assert.ok(Date.now() - started < 29000, 'closed by the daemon, not by the test timeout');
    assert.match(answer, /^HTTP\/1\.1 408|^$/);
  });

  test('more viewers than clients.max are refused with 503 before the upgrade', async () => {
    // Its own daemon, so viewers that other tests leave open cannot decide the outcome; one loopback
    // address per viewer, so a per-address share cannot either.
    const capped = await startDaemon({ config: { video: { width: 160, height: 120 }, clients: { max: 2 } } });
    const from = (localAddress: string) => new TestViewer(capped.wsUrl, { localAddress });
    const clients = [from('127.0.0.2'), from('127.0.0.3')];
    try {
      await Promise.all(clients.map((client) => client.opened));
      const beyond = from('127.0.0.4');
      clients.push(beyond);
      await assert.rejects(beyond.opened, /upgrade refused: 503/);
    } finally {
      for (const client of clients) client.close();
      await capped.stop();
    }
  });
});

describe('shutdown', () => {
  test('SIGTERM closes viewers with 1001 and exits 0', async () => {
    const daemon = await startDaemon({ config: { video: { width: 160, height: 120 } } });
    const client = new TestViewer(daemon.wsUrl);
    await client.waitFor(() => client.of(ChunkKind.Jpeg).length >= 1, 15000, 'first frame');
    const [exit, closed] = await Promise.all([daemon.stop(), client.closed]);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(closed.code, 1001);
  });
});

describe('heartbeat and connection limits', () => {
  let daemon: RunningDaemon;
  before(async () => {
    daemon = await startDaemon({ config: { video: { width: 160, height: 120 }, clients: { max: 1, heartbeatSeconds: 1 } } });
  });
  after(async () => {
    await daemon.stop();
  });

  test('a viewer that does not answer pings is terminated; one that does stays', async () => {
    const silent = new TestViewer(daemon.wsUrl, { autoPong: false });
    await silent.opened;
    const closed = await silent.closed;
    assert.equal(closed.code, 1006, 'terminated without a close frame');
    await daemon.waitForLog((line) => line.msg === 'viewer did not answer ping: terminated', 5000);
    const answering = new TestViewer(daemon.wsUrl);
    await answering.opened;
    const pings = await new Promise<number>((resolve) => {
      let count = 0;
      answering.ws.on('ping', () => {
        count += 1;
        if (count === 3) resolve(count);
      });
    });
    assert.equal(pings, 3);
    assert.equal(answering.closeCode, undefined, 'still connected after three heartbeats');
    answering.close();
    await answering.closed;
  });

  test("connections beyond an address's share of the slots are dropped at once; it is served again after", async () => {
    const sockets = await Promise.all(
      Array.from(
        { length: 65 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect(daemon.port, '127.0.0.1', () => resolve(socket));
            socket.on('error', () => {});
          }),
      ),
    );
    try {
      const refused = await rawExchange(daemon.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.equal(refused, '', 'the connection over the limit is closed unanswered');
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    const deadline = Date.now() + 10000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = await fetch(`${daemon.baseUrl}/healthz`).then(
        (response) => response.status,
        () => 0,
      );
    }
    assert.equal(status, 200);
  });
});
