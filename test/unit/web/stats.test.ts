import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, StatsCollector } from '../../../web/src/stats.js';

const T0 = 1_700_000_000_000;

/** What main.ts records for one frame: the message, the frame, then the draw a few ms later. */
function deliver(stats: StatsCollector, sequence: number, captureMs: number, receivedMs: number, bytes = 10_000): void {
  stats.recordMessage(bytes, receivedMs);
  stats.recordVideoFrame(sequence, captureMs, receivedMs);
  stats.recordDrawn(captureMs, receivedMs + 5);
}

/** `seconds` of frames at `fps`, captured at T0 + n/fps and received `delayMs` later. */
function deliverFor(stats: StatsCollector, seconds: number, fps: number, delayMs = 20): number {
  let last = T0;
  for (let sequence = 0; sequence < seconds * fps; sequence += 1) {
    const captureMs = T0 + (sequence * 1000) / fps;
    deliver(stats, sequence, captureMs, captureMs + delayMs);
    last = captureMs + delayMs + 5;
  }
  return last;
}

test('fps and bitrate over the last two seconds', () => {
  const stats = new StatsCollector();
  const now = deliverFor(stats, 4, 15);
  const snapshot = stats.snapshot(now);
  assert.ok(Math.abs(snapshot.fps - 15) <= 0.5, `fps ${snapshot.fps}`);
  assert.ok(Math.abs(snapshot.bitrateKbps - 1200) <= 50, `bitrate ${snapshot.bitrateKbps} (10 kB × 15 /s = 1200 kbit/s)`);
  assert.equal(snapshot.framesDrawn, 60);
  assert.equal(stats.snapshot(now + 5000).fps, 0, 'nothing drawn in the last two seconds');
});

test('in the first second the rate is over the time since the first message, not diluted by the window', () => {
  const stats = new StatsCollector();
  const now = deliverFor(stats, 0.6, 15);
  const { fps } = stats.snapshot(now);
  // Nine frames span eight intervals, so the figure runs a little high; over the whole window it would be 4.5.
  assert.ok(fps >= 14 && fps <= 17, `fps ${fps}`);
});

test('sequence gaps count dropped frames; decode drops add to droppedFrames', () => {
  const stats = new StatsCollector();
  for (const [index, sequence] of [1, 2, 5, 6, 10].entries()) deliver(stats, sequence, T0 + index * 66, T0 + index * 66 + 10);
  stats.recordDecodeDrop();
  const snapshot = stats.snapshot(T0 + 400);
  assert.equal(snapshot.sequenceGaps, 5);
  assert.equal(snapshot.decodeDrops, 1);
  assert.equal(snapshot.droppedFrames, 6);
});

test('the uint32 sequence wraps without a gap; a restarted daemon jump is not counted as drops', () => {
  const stats = new StatsCollector();
  for (const [index, sequence] of [0xffff_fffe, 0xffff_ffff, 0, 1].entries()) deliver(stats, sequence, T0 + index, T0 + index);
  assert.equal(stats.snapshot(T0 + 10).sequenceGaps, 0);
  deliver(stats, 5, T0 + 20, T0 + 20);
  assert.equal(stats.snapshot(T0 + 30).sequenceGaps, 3);
  deliver(stats, 0, T0 + 40, T0 + 40);
  deliver(stats, 500_000, T0 + 50, T0 + 50);
  assert.equal(stats.snapshot(T0 + 60).sequenceGaps, 3, 'backwards and huge jumps are restarts, not losses');
});

test('latency is drawn minus capture time; the corrected latency removes the smallest recent offset', () => {
  const stats = new StatsCollector();
  // The camera clock is 1000 ms behind the viewer's; network delays 30, 10, 20 ms; drawn 5 ms after receipt.
  const skew = 1000;
  for (const [index, delay] of [30, 10, 20].entries()) deliver(stats, index, T0 + index * 66, T0 + index * 66 + skew + delay);
  const snapshot = stats.snapshot(T0 + 200 + skew);
  assert.equal(snapshot.clockOffsetMs, skew + 10);
  assert.equal(snapshot.latencyMs, skew + 20 + 5);
  assert.equal(snapshot.correctedLatencyMs, 15, 'delay above the fastest delivery, clock skew cancelled');
  assert.equal(stats.snapshot(T0 + 20_000).clockOffsetMs, null, 'offsets older than ten seconds are forgotten');
});

test('a new connection starts the sequence afresh, forgets the offset and restarts the no-signal clock', () => {
  const stats = new StatsCollector();
  assert.equal(stats.snapshot(T0).lastFrameAgeMs, null);
  deliver(stats, 100, T0, T0 + 10);
  assert.equal(stats.snapshot(T0 + 510).lastFrameAgeMs, 500);
  stats.resetConnection(T0 + 3000);
  assert.equal(stats.snapshot(T0 + 3000).clockOffsetMs, null);
  assert.equal(stats.snapshot(T0 + 3100).lastFrameAgeMs, 100);
  deliver(stats, 0, T0 + 3200, T0 + 3210);
  assert.equal(stats.snapshot(T0 + 3300).sequenceGaps, 0);
});

test('recent displayed-frame latencies: the last 120, oldest first, and their median', () => {
  const stats = new StatsCollector();
  assert.equal(stats.snapshot(T0).latencyP50Ms, null);
  for (let n = 0; n < 130; n++) stats.recordDrawn(T0 + n * 100, T0 + n * 100 + n);
  const snapshot = stats.snapshot(T0 + 13_000);
  assert.equal(snapshot.recentLatenciesMs.length, 120);
  assert.equal(snapshot.recentLatenciesMs[0], 10);
  assert.equal(snapshot.recentLatenciesMs.at(-1), 129);
  assert.equal(snapshot.latencyP50Ms, 69.5);
});

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), null);
});
