import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkKind } from '../../../src/protocol/header.js';
import { metric, startDaemon } from '../../helpers/daemon.js';
import { TestViewer } from '../../helpers/ws-viewer.js';

test('a viewer that stops reading gets fewer frames, daemon memory stays bounded, a fast viewer is unaffected', async () => {
  const daemon = await startDaemon({ config: { video: { width: 1280, height: 720, fps: 30 }, audio: { enabled: false } } });
  const fast = new TestViewer(daemon.wsUrl);
  const stalled = new TestViewer(daemon.wsUrl);
  try {
    await stalled.waitFor(() => stalled.of(ChunkKind.Jpeg).length >= 1, 30000, 'first frame');
    // Rendering the synthetic loop makes garbage of its own; measure memory once it is done.
    await daemon.waitForLog((line) => line.msg === 'test pattern rendered', 60000);
    stalled.ws.pause();
    const rssBefore = await metric(daemon.baseUrl, 'process_resident_memory_bytes');
    const fastStart = fast.of(ChunkKind.Jpeg).length;
    // Kernel socket buffers fill first; then the daemon must start skipping frames for the stalled viewer.
    const deadline = Date.now() + 60000;
    while ((await metric(daemon.baseUrl, 'wscam_chunks_dropped_total')) < 60 && Date.now() < deadline) {
      await fast.waitFor(() => fast.of(ChunkKind.Jpeg).length > fastStart, 5000, 'fast viewer frames');
      const seen = fast.of(ChunkKind.Jpeg).length;
      await fast.waitFor(() => fast.of(ChunkKind.Jpeg).length >= seen + 15, 5000, 'fast viewer frames');
    }
    assert.ok((await metric(daemon.baseUrl, 'wscam_chunks_dropped_total')) >= 60, 'the stalled viewer skipped frames');
    // With a 256 KiB kernel buffer (two 720p frames) a test process starved of CPU skips a few frames itself;
    // what the stalled viewer must not do is slow the fast one down.
    const fastFrames = fast.of(ChunkKind.Jpeg).slice(fastStart);
    const fastSpan = fastFrames.at(-1)!.sequence - fastFrames[0]!.sequence + 1;
    assert.ok(fastFrames.length >= fastSpan / 2, `the fast viewer got ${fastFrames.length} of ${fastSpan} frames`);
    const rssAfter = await metric(daemon.baseUrl, 'process_resident_memory_bytes');
    assert.ok(rssAfter - rssBefore < 40 * 1024 * 1024, `RSS grew by ${rssAfter - rssBefore}`);

    const newest = fast.of(ChunkKind.Jpeg).at(-1)!.sequence;
    stalled.ws.resume();
    // Once it has drained what the kernel held, it must be back on current frames.
    await stalled.waitFor(() => (stalled.of(ChunkKind.Jpeg).at(-1)?.sequence ?? 0) > newest, 20000, 'stalled viewer catches up');
    const frames = stalled.of(ChunkKind.Jpeg);
    for (let index = 1; index < frames.length; index += 1) {
      assert.ok(frames[index]!.sequence > frames[index - 1]!.sequence, 'never an older frame after a newer one');
    }
    assert.ok(frames.at(-1)!.sequence - frames[0]!.sequence + 1 > frames.length, 'the stalled viewer got fewer frames');
  } finally {
    fast.close();
    stalled.close();
    await daemon.stop();
  }
});

test('a viewer that stops reading is skipped after a bounded backlog, not after the kernel autotuned its send buffer to megabytes', async () => {
  const daemon = await startDaemon({ config: { video: { width: 1280, height: 720, fps: 30 }, audio: { enabled: false } } });
  const stalled = new TestViewer(daemon.wsUrl);
  try {
    await stalled.waitFor(() => stalled.of(ChunkKind.Jpeg).length >= 1, 30000, 'first frame');
    stalled.ws.pause();
    // What the viewer took is what it read so far; everything sent beyond it waits in socket buffers.
    const read = () => stalled.chunks.reduce((sum, chunk) => sum + 16 + chunk.payload.length, 0);
    const deadline = Date.now() + 60000;
    while ((await metric(daemon.baseUrl, 'wscam_chunks_dropped_total')) === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok((await metric(daemon.baseUrl, 'wscam_chunks_dropped_total')) > 0, 'the stalled viewer skipped frames');
    const backlog = (await metric(daemon.baseUrl, 'wscam_bytes_sent_total')) - read();
    assert.ok(backlog < 1.5 * 1024 * 1024, `skipping began with ${backlog} bytes queued for the viewer`);
    assert.equal(daemon.logLines().filter((line) => line.msg === 'cannot cap viewer send buffers').length, 0);
  } finally {
    stalled.close();
    await daemon.stop();
  }
});
