import assert from 'node:assert/strict';
import { test } from 'node:test';
import { webSocketFrame } from '../../../src/http/websocket-frame.js';
import { FrameHub } from '../../../src/hub/frame-hub.js';
import { ChunkKind, decodeHeader } from '../../../src/protocol/header.js';
import { TestSink as SlowLink } from '../../helpers/test-sink.js';

const frame = (size: number) => Buffer.alloc(size, 7);

test('one buffer per chunk and format: header and payload built once, shared by every viewer', () => {
  const hub = new FrameHub();
  const a = new SlowLink();
  const b = new SlowLink();
  hub.attach(a);
  hub.attach(b);
  hub.publish({ kind: ChunkKind.Jpeg, payload: frame(1000), captureTimeUs: 42 });
  assert.equal(a.written[0], b.written[0]);
  const wsFrame = a.written[0]!.as(webSocketFrame);
  assert.equal(b.written[0]!.as(webSocketFrame), wsFrame, 'the frame is encoded once and shared');
  assert.equal(wsFrame[0], 0x82);
  assert.equal(wsFrame[1], 126);
  assert.equal(wsFrame.readUInt16BE(2), 1016);
  const decoded = decodeHeader(wsFrame.subarray(4));
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.header, { kind: ChunkKind.Jpeg, flags: 0, sequence: 0, captureTimeUs: 42 });
});

test('a viewer that stops reading skips frames, keeps one waiting, never goes backwards', () => {
  const hub = new FrameHub();
  const fast = new SlowLink();
  const slow = new SlowLink();
  hub.attach(fast);
  const slowViewer = hub.attach(slow);
  for (let index = 0; index < 100; index += 1) {
    hub.publish({ kind: ChunkKind.Jpeg, payload: frame(5000), captureTimeUs: index });
    fast.drain();
  }
  assert.equal(fast.written.length, 100);
  assert.equal(slow.written.length, 1);
  assert.equal(slowViewer.counters.dropped, 98);
  slow.drain();
  assert.deepEqual(
    slow.written.map((chunk) => chunk.sequence),
    [0, 99],
  );
  assert.equal(hub.stats().dropped, 98);
  assert.ok(slow.queued <= 2 * 5016 + 4);
});

test('audio is not held back by one queued video frame, but is bounded too', () => {
  const hub = new FrameHub();
  const link = new SlowLink();
  hub.attach(link);
  hub.publish({ kind: ChunkKind.Jpeg, payload: frame(40_000), captureTimeUs: 1 });
  for (let index = 0; index < 10; index += 1) hub.publish({ kind: ChunkKind.Pcm, payload: frame(1920), captureTimeUs: index });
  assert.equal(link.written.filter((chunk) => chunk.kind === ChunkKind.Pcm).length, 10);
  for (let index = 0; index < 1000; index += 1) hub.publish({ kind: ChunkKind.Pcm, payload: frame(1920), captureTimeUs: index });
  assert.ok(link.queued < 128 * 1024 + 2000 + 40_100, `queued ${link.queued}`);
});

test('unsubscribed kinds are not sent; the viewer count drives demand', () => {
  const hub = new FrameHub();
  const counts: number[] = [];
  hub.on('viewers', (count) => counts.push(count));
  const link = new SlowLink();
  link.wanted.delete(ChunkKind.Jpeg);
  const viewer = hub.attach(link);
  hub.publish({ kind: ChunkKind.Jpeg, payload: frame(10), captureTimeUs: 1 });
  hub.publish({ kind: ChunkKind.Pcm, payload: frame(10), captureTimeUs: 1 });
  assert.deepEqual(
    link.written.map((chunk) => chunk.kind),
    [ChunkKind.Pcm],
  );
  hub.detach(viewer);
  assert.deepEqual(counts, [1, 0]);
  assert.equal(hub.latest(ChunkKind.Jpeg)?.sequence, 0);
});

test('next() resolves with the next chunk of a kind or undefined after the timeout', async () => {
  const hub = new FrameHub();
  const waiting = hub.next(ChunkKind.Jpeg, 5000);
  hub.publish({ kind: ChunkKind.Pcm, payload: frame(10), captureTimeUs: 1 });
  hub.publish({ kind: ChunkKind.Jpeg, payload: frame(10), captureTimeUs: 2 });
  assert.equal((await waiting)?.captureTimeUs, 2);
  assert.equal(await hub.next(ChunkKind.Opus, 10), undefined);
});

test('a viewer switching from Opus to PCM gets PCM although its sequence numbers are lower', () => {
  const hub = new FrameHub();
  const link = new SlowLink();
  let audioKind: ChunkKind = ChunkKind.Opus;
  link.wants = (kind) => kind === audioKind;
  hub.attach(link);
  for (let index = 0; index < 5; index += 1) hub.publish({ kind: ChunkKind.Opus, payload: frame(100), captureTimeUs: index });
  audioKind = ChunkKind.Pcm;
  hub.publish({ kind: ChunkKind.Pcm, payload: frame(100), captureTimeUs: 9 });
  assert.deepEqual(
    link.written.map((chunk) => [chunk.kind, chunk.sequence]),
    [
      [3, 0],
      [3, 1],
      [3, 2],
      [3, 3],
      [3, 4],
      [2, 0],
    ],
  );
});

test('latest() gives a kept chunk only while it is within one interval plus a margin; forgetLatest() drops it', () => {
  const clock = { now: 10_000 };
  const hub = new FrameHub({ now: () => clock.now });
  hub.publish({ kind: ChunkKind.Jpeg, payload: frame(10), captureTimeUs: 1 });
  clock.now += 250;
  assert.equal(hub.latest(ChunkKind.Jpeg)?.sequence, 0, 'the first chunk of a run: a margin only');
  clock.now += 1;
  assert.equal(hub.latest(ChunkKind.Jpeg), undefined);
  hub.publish({ kind: ChunkKind.Jpeg, payload: frame(10), captureTimeUs: 2 });
  clock.now += 100;
  hub.publish({ kind: ChunkKind.Jpeg, payload: frame(10), captureTimeUs: 3 });
  clock.now += 350;
  assert.equal(hub.latest(ChunkKind.Jpeg)?.sequence, 2, '100 ms interval + 250 ms margin');
  clock.now += 1;
  assert.equal(hub.latest(ChunkKind.Jpeg), undefined, 'a stalled source: its last frame is no longer current');
  clock.now += 60_000;
  hub.publish({ kind: ChunkKind.Jpeg, payload: frame(10), captureTimeUs: 4 });
  clock.now += 1251;
  assert.equal(hub.latest(ChunkKind.Jpeg), undefined, 'a long gap stretches freshness by one second at most');
  hub.publish({ kind: ChunkKind.Pcm, payload: frame(10), captureTimeUs: 5 });
  hub.forgetLatest();
  assert.equal(hub.latest(ChunkKind.Pcm), undefined);
  hub.publish({ kind: ChunkKind.Jpeg, payload: frame(10), captureTimeUs: 6 });
  clock.now += 251;
  assert.equal(hub.latest(ChunkKind.Jpeg), undefined, 'after forgetLatest the interval is measured afresh');
});
