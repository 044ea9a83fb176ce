import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedChunk } from '../../../src/hub/shared-chunk.js';
import { AUDIO_BUFFER_BUDGET, HubViewer, STUCK_VIEWER_MS } from '../../../src/hub/viewer.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { TestSink } from '../../helpers/test-sink.js';

const frame = (sequence: number, bytes = 1000) => new SharedChunk(ChunkKind.Jpeg, sequence, sequence * 66_000, Buffer.alloc(bytes, 0xab));
const pcm = (sequence: number) => new SharedChunk(ChunkKind.Pcm, sequence, sequence * 20_000, Buffer.alloc(1920));

/** A TestSink the hub may end, recording why. */
class EndableSink extends TestSink {
  readonly disconnects: string[] = [];

  disconnect(reason: string): void {
    this.disconnects.push(reason);
  }
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let ms = 1000;
  return { now: () => ms, advance: (step) => (ms += step) };
}

test('near its limit a viewer gets the waiting audio before the waiting frame', () => {
  const sink = new TestSink();
  const viewer = new HubViewer(sink);
  // A frame bigger than the audio budget: after it, audio has no room, video would (less than one such frame queued).
  const big = AUDIO_BUFFER_BUDGET + 20_000;
  viewer.offer(frame(0, big));
  sink.queued = AUDIO_BUFFER_BUDGET + 1;
  viewer.offer(pcm(0));
  viewer.offer(frame(1, big));
  assert.deepEqual(sink.sequences(ChunkKind.Jpeg), [0], 'the frame does not overtake the waiting audio');
  assert.deepEqual(sink.sequences(ChunkKind.Pcm), []);
  sink.drain();
  assert.deepEqual(
    sink.written.map((chunk) => `${chunk.kind === ChunkKind.Jpeg ? 'v' : 'a'}${chunk.sequence}`),
    ['v0', 'a0', 'v1'],
  );
});

test(`a viewer that takes nothing for ${STUCK_VIEWER_MS / 1000} s while chunks wait is disconnected once, with a reason`, () => {
  const sink = new EndableSink();
  const time = clock();
  const viewer = new HubViewer(sink, () => {}, time.now);
  viewer.offer(frame(0));
  let sequence = 1;
  // 30 fps for just under the limit: frames wait and are replaced, nothing is sent.
  for (let elapsed = 0; elapsed < STUCK_VIEWER_MS - 50; elapsed += 33) {
    viewer.offer(frame(sequence++));
    time.advance(33);
  }
  assert.deepEqual(sink.disconnects, []);
  time.advance(100);
  viewer.offer(frame(sequence++));
  viewer.offer(frame(sequence++));
  assert.equal(sink.disconnects.length, 1);
  assert.match(sink.disconnects[0]!, /took nothing for 10 s/);
});

test('a slow viewer that still takes a frame now and then is never disconnected', () => {
  const sink = new EndableSink();
  const time = clock();
  const viewer = new HubViewer(sink, () => {}, time.now);
  for (let sequence = 0; sequence < 3 * 30 * (STUCK_VIEWER_MS / 1000); sequence += 1) {
    viewer.offer(frame(sequence));
    time.advance(33);
    // The link takes one frame every 5 s.
    if (sequence % 150 === 149) sink.drain();
  }
  assert.deepEqual(sink.disconnects, []);
  assert.ok(sink.written.length >= 6);
});

test('a transport without disconnect is never ended by the hub', () => {
  const sink = new TestSink();
  const time = clock();
  const viewer = new HubViewer(sink, () => {}, time.now);
  for (let sequence = 0; sequence < 100; sequence += 1) {
    viewer.offer(frame(sequence));
    time.advance(STUCK_VIEWER_MS);
  }
  assert.equal(sink.written.length, 1);
});
