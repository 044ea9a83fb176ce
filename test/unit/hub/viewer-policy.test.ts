import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedChunk } from '../../../src/hub/shared-chunk.js';
import { AUDIO_BUFFER_BUDGET, HubViewer } from '../../../src/hub/viewer.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { TestSink } from '../../helpers/test-sink.js';

const frame = (sequence: number, bytes = 1000) => new SharedChunk(ChunkKind.Jpeg, sequence, sequence * 66_000, Buffer.alloc(bytes, 0xab));
const pcm = (sequence: number) => new SharedChunk(ChunkKind.Pcm, sequence, sequence * 20_000, Buffer.alloc(1920));
const opus = (sequence: number) => new SharedChunk(ChunkKind.Opus, sequence, sequence * 20_000, Buffer.alloc(80));

function viewerOn(sink: TestSink): { viewer: HubViewer; drops: number[] } {
  const drops: number[] = [];
  return { viewer: new HubViewer(sink, (count) => drops.push(count)), drops };
}

test('a viewer that keeps up gets every chunk at once, and the counters add up', () => {
  const sink = new TestSink();
  const { viewer, drops } = viewerOn(sink);
  for (let sequence = 0; sequence < 5; sequence += 1) {
    viewer.offer(frame(sequence));
    viewer.offer(pcm(sequence));
    sink.drain();
  }
  assert.deepEqual(sink.sequences(ChunkKind.Jpeg), [0, 1, 2, 3, 4]);
  assert.deepEqual(sink.sequences(ChunkKind.Pcm), [0, 1, 2, 3, 4]);
  assert.equal(viewer.counters.sent, 10);
  assert.equal(
    viewer.counters.bytesSent,
    sink.written.reduce((sum, chunk) => sum + chunk.byteLength, 0),
  );
  assert.equal(viewer.counters.dropped, 0);
  assert.deepEqual(drops, []);
});

test('video: with a frame still queued the next one waits, newer ones replace it, and the newest goes on drain', () => {
  const sink = new TestSink();
  const { viewer, drops } = viewerOn(sink);
  viewer.offer(frame(0));
  assert.equal(sink.queued, frame(0).byteLength, 'one whole frame queued');
  viewer.offer(frame(1));
  assert.deepEqual(sink.sequences(ChunkKind.Jpeg), [0], 'frame 1 waits');
  assert.equal(sink.drainRequests, 1);
  viewer.offer(frame(2));
  viewer.offer(frame(3));
  assert.deepEqual(drops, [1, 1], 'frames 1 and 2 were replaced while waiting');
  assert.equal(sink.drainRequests, 1, 'one drain request while anything waits');
  sink.drain();
  assert.deepEqual(sink.sequences(ChunkKind.Jpeg), [0, 3], 'the newest frame, never an older one after it');
  assert.equal(viewer.counters.dropped, 2);
  assert.equal(sink.drainRequests, 0, 'nothing waits, so nothing listens for drain');
});

test('video: less than one frame queued is room for the next frame', () => {
  const sink = new TestSink();
  const { viewer } = viewerOn(sink);
  sink.queued = frame(0).byteLength - 1;
  viewer.offer(frame(0));
  assert.deepEqual(sink.sequences(ChunkKind.Jpeg), [0]);
  sink.queued = frame(1).byteLength;
  viewer.offer(frame(1));
  assert.deepEqual(sink.sequences(ChunkKind.Jpeg), [0]);
});

test('audio queues behind a waiting frame up to AUDIO_BUFFER_BUDGET, then waits with the newest chunk', () => {
  const sink = new TestSink();
  const { viewer, drops } = viewerOn(sink);
  viewer.offer(frame(0, 50_000));
  viewer.offer(frame(1, 50_000));
  let sequence = 0;
  while (sink.queued < AUDIO_BUFFER_BUDGET) viewer.offer(pcm(sequence++));
  const sentBeforeBudget = sink.sequences(ChunkKind.Pcm).length;
  assert.equal(sentBeforeBudget, sequence, 'every chunk below the budget went out behind the frame');
  viewer.offer(pcm(sequence++));
  viewer.offer(pcm(sequence++));
  assert.equal(sink.sequences(ChunkKind.Pcm).length, sentBeforeBudget, 'over the budget audio waits');
  assert.deepEqual(drops, [1], 'the waiting audio chunk was replaced by the newer one');
  sink.drain();
  assert.deepEqual(sink.sequences(ChunkKind.Jpeg), [0, 1]);
  assert.equal(sink.sequences(ChunkKind.Pcm).at(-1), sequence - 1, 'then the newest audio chunk');
});

test('a chunk offered again (latest for a new viewer or a new subscribe) is not sent twice', () => {
  const sink = new TestSink();
  const { viewer } = viewerOn(sink);
  const latest = frame(7);
  viewer.offer(latest);
  sink.drain();
  viewer.offer(latest);
  viewer.offer(frame(6));
  assert.deepEqual(sink.sequences(ChunkKind.Jpeg), [7]);
  assert.equal(viewer.counters.sent, 1);
});

test('unwanted kinds are never written, and a waiting chunk whose kind is unsubscribed is let go', () => {
  const sink = new TestSink();
  sink.wanted.delete(ChunkKind.Pcm);
  const { viewer } = viewerOn(sink);
  viewer.offer(pcm(0));
  assert.deepEqual(sink.written, []);
  viewer.offer(frame(0));
  viewer.offer(frame(1));
  sink.wanted.delete(ChunkKind.Jpeg);
  sink.drain();
  assert.deepEqual(sink.sequences(ChunkKind.Jpeg), [0], 'frame 1 waited, then video was unsubscribed');
  assert.equal(sink.drainRequests, 0);
});

test('PCM and Opus sequences count apart: switching codec does not hold back the other kind', () => {
  const sink = new TestSink();
  const { viewer } = viewerOn(sink);
  viewer.offer(pcm(500));
  sink.drain();
  viewer.offer(opus(3));
  sink.drain();
  viewer.offer(pcm(501));
  assert.deepEqual(
    sink.written.map((chunk) => [chunk.kind, chunk.sequence]),
    [
      [ChunkKind.Pcm, 500],
      [ChunkKind.Opus, 3],
      [ChunkKind.Pcm, 501],
    ],
  );
});
