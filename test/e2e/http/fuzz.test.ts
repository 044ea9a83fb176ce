import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { test } from 'node:test';
import { ChunkKind } from '../../../src/protocol/header.js';
import { startDaemon } from '../../helpers/daemon.js';
import { TestViewer } from '../../helpers/ws-viewer.js';

/** Deterministic PRNG so a failing case can be replayed. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes bytes on a fresh connection, optionally after an upgrade, and waits (bounded) for the close. */
function hit(port: number, chunks: Buffer[], timeoutMs = 3000): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      socket.end();
    });
  });
}

const UPGRADE =
  'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

function frame(
  opcode: number,
  payload: Buffer,
  options: { fin?: boolean; masked?: boolean; rsv?: number; lengthOverride?: bigint } = {},
): Buffer {
  const { fin = true, masked = true, rsv = 0 } = options;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const length = options.lengthOverride ?? BigInt(payload.length);
  const maskBit = masked ? 0x80 : 0;
  const extended: Buffer[] = [];
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65536n) {
    head.push(maskBit | 126);
    const bytes = Buffer.alloc(2);
    bytes.writeUInt16BE(Number(length));
    extended.push(bytes);
  } else {
    head.push(maskBit | 127);
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(length);
    extended.push(bytes);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), ...extended, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((byte, index) => byte ^ mask[index % 4]!));
  return Buffer.concat([Buffer.from(head), ...extended, mask, body]);
}

test(
  'thousands of malformed requests, upgrades and frames: the daemon keeps serving with bounded memory',
  { timeout: 240_000 },
  async () => {
    const daemon = await startDaemon({ config: { video: { width: 320, height: 240, fps: 15 }, clients: { max: 64 } } });
    const random = mulberry32(20261125);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const viewer = new TestViewer(daemon.wsUrl);
    try {
      await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= 1, 20000, 'first frame');
      const rssAtStart = Number(/^process_resident_memory_bytes (\d+)/m.exec(await (await fetch(`${daemon.baseUrl}/metrics`)).text())![1]);

      const httpCases: Array<() => Buffer[]> = [
        () => [randomBytes(1 + Math.floor(random() * 2000))],
        () => [
          Buffer.from(
            `${pick(['GET', 'POST', 'PUT', 'DELETE', 'BREW', 'G\0T'])} ${pick(['/', '/ws', '/snapshot.jpg', '/%', '/%zz', '//', '/' + 'a'.repeat(9000), '*', 'http://x/'])} HTTP/1.1\r\nHost: x\r\n\r\n`,
          ),
        ],
        () => [
          Buffer.from(
            `GET / HTTP/1.1\r\n${Array.from({ length: 200 }, (_, index) => `X-H${index}: ${'v'.repeat(100)}`).join('\r\n')}\r\n\r\n`,
          ),
        ],
        () => [
          Buffer.from(
            `POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999\r\n\r\n{"username":`,
          ),
        ],
        () => [
          Buffer.from(
            `POST /api/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nffffff\r\n${'a'.repeat(5000)}`,
          ),
        ],
        () => [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')],
        () => [Buffer.from(`GET / HTTP/9.9\r\n\r\n`)],
        () => [Buffer.from(`GET /?token=${'%'.repeat(100)} HTTP/1.1\r\nHost: x\r\nCookie: ${'wscam_session=;'.repeat(50)}\r\n\r\n`)],
      ];
      const upgradeCases: Array<() => Buffer[]> = [
        () => [Buffer.from(UPGRADE.replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 99'))],
        () => [Buffer.from(UPGRADE.replace('dGhlIHNhbXBsZSBub25jZQ==', 'short'))],
        () => [Buffer.from(UPGRADE.replace('Upgrade: websocket', 'Upgrade: h2c'))],
        () => [Buffer.from(UPGRADE.replace('/ws', pick(['/', '/wss', '/ws/../ws', '/WS'])))],
        () => [Buffer.from(UPGRADE.replace('\r\n\r\n', `\r\nSec-WebSocket-Extensions: permessage-deflate; ${'x;'.repeat(500)}\r\n\r\n`))],
        () => [Buffer.from(UPGRADE.slice(0, Math.floor(random() * UPGRADE.length)))],
      ];
      const frameCases: Array<() => Buffer> = [
        () => frame(pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), randomBytes(10)),
        () => frame(2, Buffer.alloc(0), { lengthOverride: 2n ** 62n }),
        () => frame(1, Buffer.from('{"type":"subscribe"}'), { masked: false }),
        () => frame(1, Buffer.from([0xc3, 0x28, 0xa0, 0xa1])),
        () => frame(0, Buffer.from('continuation without a start')),
        () => Buffer.concat(Array.from({ length: 50 }, () => frame(1, Buffer.from('ab'), { fin: false }))),
        () => frame(9, randomBytes(200)),
        () => frame(1, Buffer.from('{}'), { rsv: 4 }),
        () => frame(1, randomBytes(5000)),
        () => frame(8, Buffer.from([0x03, 0xe8, 0xff, 0xfe])),
        () => randomBytes(64),
      ];

      const jobs: Array<() => Promise<void>> = [];
      for (let index = 0; index < 1500; index += 1) jobs.push(() => hit(daemon.port, pick(httpCases)()));
      for (let index = 0; index < 500; index += 1) jobs.push(() => hit(daemon.port, pick(upgradeCases)()));
      for (let index = 0; index < 1000; index += 1) jobs.push(() => hit(daemon.port, [Buffer.from(UPGRADE), pick(frameCases)()]));
      let next = 0;
      const worker = async () => {
        while (next < jobs.length) await jobs[next++]!();
      };
      await Promise.all(Array.from({ length: 16 }, worker));

      assert.equal(daemon.child.exitCode, null, 'the daemon is still running');
      assert.equal(viewer.closeCode, undefined, 'the well-behaved viewer stayed connected');
      const seen = viewer.of(ChunkKind.Jpeg).length;
      await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= seen + 5, 10000, 'frames after the fuzzing');
      const fresh = new TestViewer(daemon.wsUrl);
      await fresh.waitFor(() => fresh.of(ChunkKind.Jpeg).length >= 2, 10000, 'a new viewer after the fuzzing');
      fresh.close();
      const health = await fetch(`${daemon.baseUrl}/healthz`);
      assert.equal(health.status, 200);
      const rssAtEnd = Number(/^process_resident_memory_bytes (\d+)/m.exec(await (await fetch(`${daemon.baseUrl}/metrics`)).text())![1]);
      assert.ok(rssAtEnd < 200 * 1024 * 1024 && rssAtEnd - rssAtStart < 64 * 1024 * 1024, `RSS ${rssAtStart} → ${rssAtEnd}`);
    } finally {
      viewer.close();
      await daemon.stop();
    }
  },
);
