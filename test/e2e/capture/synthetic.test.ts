import assert from 'node:assert/strict';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { cpuTimes, rssBytes } from '../../../bench/proc-stats.js';
import { SyntheticAudioSource, SyntheticVideoSource } from '../../../src/capture/sources/synthetic.js';
import { loopFrameCount } from '../../../src/capture/sources/test-pattern.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { startDaemon } from '../../helpers/daemon.js';
import { TestViewer } from '../../helpers/ws-viewer.js';
import { capturingLogger, RecordingListener } from './recording-listener.js';

const RENDER_TIMEOUT_MS = 180_000;
const rendered = (lines: Array<Record<string, unknown>>) => lines.some((line) => line.msg === 'test pattern rendered');
const cpu = (thread?: number) => {
  const times = cpuTimes(process.pid, thread)!;
  return times.user + times.system;
};

test('the loop renders off the main thread: audio keeps flowing and the main thread does little of the work', async (t) => {
  const config = ConfigSchema.parse({ video: { width: 320, height: 240, fps: 5 } });
  const { log, lines } = capturingLogger();
  const listener = new RecordingListener();
  const video = new SyntheticVideoSource(config.video, listener, log);
  const audio = new SyntheticAudioSource(config.audio, listener, log);
  t.after(() => Promise.all([video.stop(), audio.stop()]));
  const processBefore = cpu();
  const mainBefore = cpu(process.pid);
  await Promise.all([video.start(), audio.start()]);
  await listener.until(() => rendered(lines), RENDER_TIMEOUT_MS, 'the loop to be rendered');
  const processSpent = cpu() - processBefore;
  const mainSpent = cpu(process.pid) - mainBefore;
  assert.ok(mainSpent < processSpent / 2, `main thread spent ${mainSpent} s of the process's ${processSpent} s`);

  const audioTimes = listener.chunks.filter((chunk) => chunk.kind === ChunkKind.Pcm).map((chunk) => chunk.captureTimeUs);
  const longestGapMs = Math.max(...audioTimes.slice(1).map((at, index) => (at - audioTimes[index]!) / 1000));
  assert.ok(longestGapMs < 1000, `audio paused for ${longestGapMs} ms while the loop rendered`);

  const frames = listener.chunks.filter((chunk) => chunk.kind === ChunkKind.Jpeg);
  assert.ok(frames.length > 0);
  const decoded = jpeg.decode(frames[0]!.payload, { useTArray: true });
  assert.deepEqual([decoded.width, decoded.height], [config.video.width, config.video.height]);
  assert.ok(lines.some((line) => line.msg === 'test pattern rendered' && line.frames === loopFrameCount(config.video.fps)));
});

test('stop during the render ends the worker; the next start renders only the missing frames and the loop is whole', async (t) => {
  const config = ConfigSchema.parse({ video: { width: 160, height: 120, fps: 5 } });
  const { log, lines } = capturingLogger();
  const listener = new RecordingListener();
  const video = new SyntheticVideoSource(config.video, listener, log);
  t.after(() => video.stop());
  await video.start();
  await listener.until(() => listener.chunks.length > 0, RENDER_TIMEOUT_MS, 'the first frame');
  await video.stop();
  assert.deepEqual(listener.states.at(-1), { status: 'stopped' });
  const count = loopFrameCount(config.video.fps);
  await video.start();
  // Replaying the whole loop shows every frame once it is complete.
  await listener.until(() => rendered(lines), RENDER_TIMEOUT_MS, 'the loop to be rendered');
  const seen = () => new Set(listener.chunks.map((chunk) => chunk.payload.toString('base64'))).size;
  await listener.until(() => seen() === count, RENDER_TIMEOUT_MS, `all ${count} frames`);
  assert.equal(lines.filter((line) => line.msg === 'test pattern rendered').length, 1);
});

test('default config, one viewer from the start: memory stays bounded while the loop renders and SIGTERM exits cleanly', async () => {
  const daemon = await startDaemon();
  const pid = daemon.child.pid!;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid) ?? 0)), 50);
  const viewer = new TestViewer(daemon.wsUrl);
  try {
    await daemon.waitForLog((line) => line.msg === 'test pattern rendered', RENDER_TIMEOUT_MS);
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length > 0 && viewer.of(ChunkKind.Pcm).length > 0, 15_000, 'video and audio');
    const health = await fetch(`${daemon.baseUrl}/healthz`);
    assert.equal(health.status, 200);
  } finally {
    clearInterval(sampler);
    viewer.close();
  }
  const exit = await daemon.stop();
  assert.equal(exit.code, 0);
  // Loose on purpose (the main-thread render peaked at 215-324 MB); the bench measures the real figure.
  assert.ok(peak < 200 * 2 ** 20, `peak RSS ${(peak / 2 ** 20).toFixed(1)} MB`);
});
