import assert from 'node:assert/strict';
import { test } from 'node:test';
import { webSocketFrame } from '../../../src/http/websocket-frame.js';
import { FrameHub, H264_LAG_MS } from '../../../src/hub/frame-hub.js';
import type { SharedChunk } from '../../../src/hub/shared-chunk.js';
import { AUDIO_BUFFER_BUDGET, type HubViewer } from '../../../src/hub/viewer.js';
import { ChunkFlag, ChunkKind, decodeHeader } from '../../../src/protocol/header.js';
import { TestSink } from '../../helpers/test-sink.js';
import { accessUnitsOf, CAMERA_LIKE_GRAPH, encodeLavfi } from '../capture/h264-fixtures.js';

/** Real access units: libx264 on a camera-like 320x240 picture, a keyframe every 10 frames, cut by the wscam parser. */
const fixture = encodeLavfi(
  'hub fixture',
  CAMERA_LIKE_GRAPH,
  ['-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10', '-x264-params', 'repeat-headers=1'],
  60,
);
const units = accessUnitsOf(fixture);
const GOP = 10;
assert.equal(units.length, 60);
assert.deepEqual(
  units.map((unit, index) => unit.keyframe === (index % GOP === 0)),
  units.map(() => true),
  'a keyframe every 10 access units',
);
const keyframeBytes = units[0]!.payload.length;
const largestP = Math.max(...units.filter((unit) => !unit.keyframe).map((unit) => unit.payload.length));
assert.ok(keyframeBytes > 4 * largestP, 'keyframes are much larger than P-frames');

/** Publishes the fixture's access units `from` to `to` (indexes into an endless repetition), stepping a clock at 15 fps. */
function publisher(hub: FrameHub, clock?: { now: number }): (count: number, each?: () => void) => void {
  let next = 0;
  return (count, each) => {
    for (let i = 0; i < count; i += 1) {
      hub.publish({ ...units[next % units.length]!, captureTimeUs: next * 66_667 });
      next += 1;
      if (clock) clock.now += 66.7;
      each?.();
    }
  };
}

/** Attaches a viewer the way a WebSocket viewer joins: offered the current GOP first. */
function join(hub: FrameHub, sink: TestSink): HubViewer {
  const viewer = hub.attach(sink);
  for (const unit of hub.currentGop()) viewer.offer(unit);
  return viewer;
}

/** Every access unit written that is not a keyframe directly follows the one written before it. */
function assertDecodable(written: SharedChunk[]): void {
  const video = written.filter((chunk) => chunk.kind === ChunkKind.H264);
  assert.ok(video[0]?.keyframe, 'the first access unit is a keyframe');
  video.forEach((unit, index) => {
    if (index > 0 && !unit.keyframe) assert.equal(unit.sequence, video[index - 1]!.sequence + 1, `P-frame ${unit.sequence} after a gap`);
  });
}

test('the keyframe flag reaches header byte 1 of the WebSocket frame, and only keyframes carry it', () => {
  const hub = new FrameHub();
  const sink = new TestSink();
  hub.attach(sink);
  publisher(hub)(2, () => sink.drain());
  const flags = sink.written.map((chunk) => {
    const frame = chunk.as(webSocketFrame);
    const decoded = decodeHeader(frame.subarray(frame[1] === 126 ? 4 : frame[1] === 127 ? 10 : 2));
    assert.ok(decoded.ok);
    return decoded.header.flags;
  });
  assert.deepEqual(flags, [ChunkFlag.Keyframe, 0]);
});

test('the hub keeps the current GOP from its keyframe on, and the format of its SPS', () => {
  const hub = new FrameHub();
  const publish = publisher(hub);
  assert.deepEqual(hub.currentGop(), []);
  publish(1);
  assert.deepEqual(
    hub.currentGop().map((unit) => unit.sequence),
    [0],
  );
  publish(14);
  assert.deepEqual(
    hub.currentGop().map((unit) => unit.sequence),
    [10, 11, 12, 13, 14],
  );
  assert.deepEqual(hub.videoFormat, { codecString: hub.currentGop()[0]!.videoFormat!.codecString, width: 320, height: 240 });
  assert.match(hub.videoFormat.codecString, /^avc1\.[0-9A-F]{6}$/);
  hub.forgetLatest();
  assert.deepEqual(hub.currentGop(), []);
  assert.equal(hub.videoFormat, undefined);
});

test('a GOP that outgrows the bound is not kept: nothing until the next keyframe', () => {
  const gopBytes = (from: number) => units.slice(from, from + GOP).reduce((sum, unit) => sum + unit.payload.length + 16, 0);
  const maxGopBytes = keyframeBytes + 16 + 3 * (largestP + 16);
  assert.ok(gopBytes(0) > maxGopBytes);
  const hub = new FrameHub({ maxGopBytes });
  const publish = publisher(hub);
  publish(3);
  assert.equal(hub.currentGop().length, 3);
  publish(7);
  assert.deepEqual(hub.currentGop(), [], 'overflowed: kept nothing');
  publish(1);
  assert.deepEqual(
    hub.currentGop().map((unit) => unit.sequence),
    [10],
    'the next keyframe starts a new GOP',
  );
});

test('a stale GOP (capture stalled or stopped) is not offered to new viewers', () => {
  const clock = { now: 1000 };
  const hub = new FrameHub({ now: () => clock.now });
  publisher(hub, clock)(5);
  assert.equal(hub.currentGop().length, 5);
  clock.now += 2000;
  assert.deepEqual(hub.currentGop(), []);
});

test('the videoFormat event comes before the keyframe reaches any viewer, and only when the format changes', () => {
  const hub = new FrameHub();
  const events: string[] = [];
  const sink = new TestSink();
  const write = sink.write.bind(sink);
  sink.write = (chunk) => {
    events.push(chunk.keyframe ? `keyframe ${chunk.sequence}` : 'p');
    return write(chunk);
  };
  hub.attach(sink);
  hub.on('videoFormat', (format) => events.push(`format ${format.width}x${format.height}`));
  publisher(hub)(21, () => sink.drain());
  assert.deepEqual(
    events.filter((event) => event !== 'p'),
    ['format 320x240', 'keyframe 0', 'keyframe 10', 'keyframe 20'],
  );
  hub.publish({ ...units[0]!, videoFormat: { codecString: 'avc1.640028', width: 1280, height: 720 } });
  assert.deepEqual(events.slice(-2), ['format 1280x720', 'keyframe 21']);
});

test('a new viewer is offered the current GOP in order, once', () => {
  const hub = new FrameHub();
  const publish = publisher(hub);
  publish(14);
  const sink = new TestSink();
  const viewer = hub.attach(sink);
  for (const unit of hub.currentGop()) viewer.offer(unit);
  for (const unit of hub.currentGop()) viewer.offer(unit);
  assert.deepEqual(
    sink.written.map((unit) => unit.sequence),
    [10, 11, 12, 13],
  );
  publish(3, () => sink.drain());
  assert.deepEqual(
    sink.written.map((unit) => unit.sequence),
    [10, 11, 12, 13, 14, 15, 16],
  );
  assertDecodable(sink.written);
});

test('small P-frames still go out while a keyframe is queued on the link', () => {
  const hub = new FrameHub();
  const publish = publisher(hub);
  publish(GOP, () => {}); // times nothing (no clock), so the budget is twice the keyframe
  const sink = new TestSink();
  const viewer = hub.attach(sink);
  publish(5); // nothing drains: the keyframe stays queued
  assert.deepEqual(
    sink.written.map((unit) => unit.sequence),
    [10, 11, 12, 13, 14],
    'the JPEG rule (less than one chunk queued) would have refused all four',
  );
  assert.equal(viewer.counters.dropped, 0);
});

test('a viewer that cannot take an access unit skips to the next keyframe, never a P-frame after a gap', () => {
  const clock = { now: 1000 };
  const hub = new FrameHub({ now: () => clock.now });
  const publish = publisher(hub, clock);
  publish(GOP + 1); // one GOP timed, so the budget is one keyframe + H264_LAG_MS of the stream
  const slow = new TestSink();
  const fast = new TestSink();
  const viewer = join(hub, slow);
  join(hub, fast);
  // The slow link takes half a P-frame's worth per access unit, far below the stream's rate.
  publish(5 * GOP, () => {
    fast.drain();
    slow.queued = Math.max(0, slow.queued - largestP / 2);
  });
  slow.drain(); // what still waited in order goes out now
  assertDecodable(slow.written);
  assertDecodable(fast.written);
  assert.equal(fast.written.length, 1 + 5 * GOP, 'a fast viewer misses nothing');
  const skipped = 1 + 5 * GOP - slow.written.length;
  assert.ok(skipped > 0, 'the slow viewer had to skip');
  assert.equal(viewer.counters.dropped, skipped, 'every access unit it did not get counts as dropped');
  assert.ok(slow.written.filter((unit) => unit.keyframe).length >= 2, 'it resumed at later keyframes');
});

test('memory stays bounded for a viewer that never reads: it queues at most the budget, then waits for a keyframe', () => {
  const clock = { now: 1000 };
  const hub = new FrameHub({ now: () => clock.now });
  const publish = publisher(hub, clock);
  publish(GOP + 1);
  const gopMs = GOP * 66.7;
  const gopBytes = units.slice(0, GOP).reduce((sum, unit) => sum + unit.payload.length + 16, 0);
  const budget = keyframeBytes + 16 + (gopBytes * H264_LAG_MS) / gopMs;
  const stuck = new TestSink();
  const viewer = join(hub, stuck);
  publish(20 * GOP);
  assert.ok(stuck.queued <= budget, `queued ${stuck.queued} of a budget of ${Math.round(budget)}`);
  assert.ok(viewer.counters.dropped > 15 * GOP);
  stuck.drain();
  assert.ok(stuck.queued <= budget, `what waited in memory (${stuck.queued} bytes) is within the budget too`);
  assertDecodable(stuck.written);
  publish(GOP, () => stuck.drain());
  assertDecodable(stuck.written);
  assert.equal(stuck.written.at(-1)!.sequence, hub.stats().published[ChunkKind.H264] - 1, 'after draining it is live again');
});

test('audio keeps flowing to a viewer whose video is stuck waiting for a keyframe', () => {
  const hub = new FrameHub();
  const publish = publisher(hub);
  const sink = new TestSink();
  hub.attach(sink);
  publish(GOP + 3);
  sink.queued = 10 * keyframeBytes; // the link is full of video
  let pcm = 0;
  publish(5, () => {
    hub.publish({ kind: ChunkKind.Pcm, payload: Buffer.alloc(1920), captureTimeUs: pcm++ });
  });
  assert.equal(sink.sequences(ChunkKind.Pcm).length, 5, `audio is bounded by its own budget (${AUDIO_BUFFER_BUDGET} bytes), not by video`);
});

test('bytesSent counts what the transport put on the wire', () => {
  const hub = new FrameHub();
  const sink = new TestSink();
  sink.write = (chunk) => {
    sink.written.push(chunk);
    return chunk.as(webSocketFrame).length;
  };
  const viewer = hub.attach(sink);
  publisher(hub)(GOP);
  const wire = sink.written.reduce((sum, chunk) => sum + chunk.as(webSocketFrame).length, 0);
  assert.equal(viewer.counters.bytesSent, wire);
  assert.ok(wire > sink.written.reduce((sum, chunk) => sum + chunk.byteLength, 0), 'frame headers are counted');
  assert.equal(hub.stats().bytesSent, wire);
});

test('a viewer that unsubscribes video and comes back resumes at the current GOP, not in the middle', () => {
  const hub = new FrameHub();
  const publish = publisher(hub);
  const sink = new TestSink();
  const viewer = hub.attach(sink);
  publish(4, () => sink.drain());
  sink.wanted.delete(ChunkKind.H264);
  publish(4, () => sink.drain());
  sink.wanted.add(ChunkKind.H264);
  publish(1, () => sink.drain());
  assert.deepEqual(
    sink.written.map((unit) => unit.sequence),
    [0, 1, 2, 3],
    'access unit 8 follows a gap: not sent',
  );
  for (const unit of hub.currentGop()) viewer.offer(unit);
  sink.drain();
  assert.deepEqual(
    sink.written.map((unit) => unit.sequence),
    [0, 1, 2, 3],
    'the current GOP starts at keyframe 0, already sent: nothing to resend, and the rest would follow a gap',
  );
  publish(GOP - 9 + 1, () => sink.drain());
  assert.equal(sink.written.at(-1)!.sequence, GOP);
  assert.equal(sink.written.at(-1)!.keyframe, true);
  assertDecodable(sink.written);
});
