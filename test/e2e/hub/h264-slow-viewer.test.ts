import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigInput } from '../../../src/config/schema.js';
import { ChunkFlag, ChunkKind } from '../../../src/protocol/header.js';
import { metric, startDaemon } from '../../helpers/daemon.js';
import { TestViewer, type ReceivedChunk } from '../../helpers/ws-viewer.js';
import { decodedFrames } from '../../unit/capture/h264-fixtures.js';

// testsrc2 at a high bitrate, so a stalled viewer's socket buffers fill within seconds.
const VIDEO: ConfigInput['video'] = {
  codec: 'h264',
  source: 'ffmpeg',
  input: ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30'],
  width: 640,
  height: 480,
  fps: 30,
  bitrateKbps: 6000,
  keyframeSeconds: 1,
};

const isKeyframe = (unit: ReceivedChunk) => (unit.flags & ChunkFlag.Keyframe) !== 0;

test('H.264: a viewer that stops reading resumes at a keyframe, never a P-frame after a gap, and decodes without an error', async () => {
  const daemon = await startDaemon({ config: { video: VIDEO, audio: { enabled: false } } });
  const fast = new TestViewer(daemon.wsUrl);
  const stalled = new TestViewer(daemon.wsUrl);
  try {
    await stalled.waitFor(() => stalled.of(ChunkKind.H264).length >= 5, 30_000, 'first access units');
    const video = stalled.hello?.video;
    assert.ok(video?.codec === 'h264', JSON.stringify(stalled.hello));
    assert.match(video.codecString, /^avc1\.[0-9A-F]{6}$/);
    assert.deepEqual([video.width, video.height], [640, 480]);
    assert.equal(stalled.helloAtChunk[0], 0, 'the hello came before any media');
    assert.ok(isKeyframe(stalled.chunks[0]!), 'the first media is a keyframe');
    assert.equal(stalled.chunks[0]!.kind, ChunkKind.H264);

    stalled.ws.pause();
    const deadline = Date.now() + 60_000;
    while ((await metric(daemon.baseUrl, 'wscam_chunks_dropped_total')) < 60 && Date.now() < deadline) {
      const seen = fast.of(ChunkKind.H264).length;
      await fast.waitFor(() => fast.of(ChunkKind.H264).length >= seen + 15, 10_000, 'fast viewer access units');
    }
    assert.ok((await metric(daemon.baseUrl, 'wscam_chunks_dropped_total')) >= 60, 'the stalled viewer skipped access units');
    const newest = fast.of(ChunkKind.H264).at(-1)!.sequence;
    stalled.ws.resume();
    await stalled.waitFor(() => (stalled.of(ChunkKind.H264).at(-1)?.sequence ?? 0) > newest + 30, 30_000, 'stalled viewer back on live');

    const units = stalled.of(ChunkKind.H264);
    let gaps = 0;
    for (let index = 1; index < units.length; index += 1) {
      if (units[index]!.sequence === units[index - 1]!.sequence + 1) continue;
      gaps += 1;
      assert.ok(isKeyframe(units[index]!), `after the gap before ${units[index]!.sequence} comes a keyframe`);
    }
    assert.ok(gaps >= 1, 'the stalled viewer skipped');
    assert.equal(decodedFrames(Buffer.concat(units.map((unit) => unit.payload))), units.length, 'every access unit it got decodes');

    const fastUnits = fast.of(ChunkKind.H264);
    assert.ok(isKeyframe(fastUnits[0]!));
    // A test process starved of CPU may skip a GOP of its own (its kernel buffer holds about a keyframe and 250 ms);
    // what matters is that the stalled viewer does not slow it down, and that it too restarts only at keyframes.
    const fastSpan = fastUnits.at(-1)!.sequence - fastUnits[0]!.sequence + 1;
    assert.ok(fastUnits.length >= fastSpan / 2, `the fast viewer got ${fastUnits.length} of ${fastSpan} access units`);
    for (let index = 1; index < fastUnits.length; index += 1) {
      if (fastUnits[index]!.sequence !== fastUnits[index - 1]!.sequence + 1) assert.ok(isKeyframe(fastUnits[index]!));
    }
  } finally {
    fast.close();
    stalled.close();
    await daemon.stop();
  }
});
