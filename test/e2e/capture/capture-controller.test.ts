import assert from 'node:assert/strict';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { CaptureController } from '../../../src/capture/capture-controller.js';
import { createCaptureSources, type CaptureSourceFactory } from '../../../src/capture/create.js';
import { ConfigSchema, type Config, type ConfigInput } from '../../../src/config/schema.js';
import { FrameHub } from '../../../src/hub/frame-hub.js';
import type { SharedChunk } from '../../../src/hub/shared-chunk.js';
import type { ViewerSink } from '../../../src/hub/viewer.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { childPids } from './proc-children.js';
import { capturingLogger } from './recording-listener.js';

/** A viewer on a fast link: takes every chunk at once and lets the test await what it got. */
class FastViewer implements ViewerSink {
  readonly chunks: SharedChunk[] = [];
  private readonly waiters = new Set<() => void>();
  bufferedBytes(): number {
    return 0;
  }
  write(chunk: SharedChunk): number {
    this.chunks.push(chunk);
    for (const waiter of [...this.waiters]) waiter();
    return chunk.byteLength;
  }
  wants(): boolean {
    return true;
  }
  whenDrained(callback: () => void): void {
    callback();
  }
  of(kind: ChunkKind): SharedChunk[] {
    return this.chunks.filter((chunk) => chunk.kind === kind);
  }
  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }
}

const lavfi = (width: number, height: number) => ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=15`];
const MICROPHONE = ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];

function cameraConfig(width: number, height: number, extra: ConfigInput = {}): Config {
  return ConfigSchema.parse({
    ...extra,
    video: { source: 'ffmpeg', input: lavfi(width, height), width, height, fps: 15, ...extra.video },
    audio: { source: 'ffmpeg', input: MICROPHONE, ...extra.audio },
  });
}

const sizeOf = (chunk: SharedChunk) => {
  const { width, height } = jpeg.decode(chunk.payload, { useTArray: true });
  return [width, height];
};

test('reconfigure swaps the camera under an attached viewer: new size arrives, old child gone, viewer never detached', async (t) => {
  const hub = new FrameHub();
  const { log } = capturingLogger();
  const capture = new CaptureController({ hub, config: cameraConfig(160, 120), log });
  t.after(() => capture.stop());
  const viewer = new FastViewer();
  const detached: number[] = [];
  hub.on('viewers', (count) => detached.push(count));
  hub.attach(viewer);
  await capture.start();
  await viewer.until(
    () => viewer.of(ChunkKind.Jpeg).length >= 3 && viewer.of(ChunkKind.Pcm).length >= 10,
    15_000,
    'frames and audio at 160x120',
  );
  assert.deepEqual(sizeOf(viewer.of(ChunkKind.Jpeg).at(-1)!), [160, 120]);
  const before = childPids(process.pid, 'ffmpeg');
  assert.equal(before.length, 2, 'one ffmpeg child for the camera, one for the microphone');

  await capture.reconfigure(cameraConfig(320, 240, { audio: { enabled: false } }));
  assert.equal(hub.latest(ChunkKind.Pcm), undefined, 'chunks kept from the old sources are forgotten');
  for (const pid of before) assert.throws(() => process.kill(pid, 0), `old child ${pid} is gone once reconfigure resolves`);
  assert.equal(capture.isRunning, true, 'a watched camera runs again at once');
  const framesBefore = viewer.of(ChunkKind.Jpeg).length;
  await viewer.until(() => viewer.of(ChunkKind.Jpeg).length >= framesBefore + 3, 15_000, 'frames at 320x240');
  assert.deepEqual(sizeOf(viewer.of(ChunkKind.Jpeg).at(-1)!), [320, 240]);
  assert.equal(childPids(process.pid, 'ffmpeg').length, 1, 'audio disabled: only the camera child runs');
  assert.equal(capture.health().audio, null);
  assert.equal(hub.viewerCount, 1);
  assert.deepEqual(detached, [1], 'the viewer was attached once and never detached');
  const sequences = viewer.of(ChunkKind.Jpeg).map((chunk) => chunk.sequence);
  assert.deepEqual(
    sequences,
    [...sequences].sort((a, b) => a - b),
    'frame sequence numbers keep rising across the swap',
  );
});

test('with nobody watching, capture runs once until the first frame, then idles; reconfigure probes the new camera the same way', async (t) => {
  const hub = new FrameHub();
  const logged = capturingLogger();
  const { log, lines } = logged;
  const quiet = (width: number, height: number) => cameraConfig(width, height, { video: { idleSeconds: 0.2 }, audio: { enabled: false } });
  const capture = new CaptureController({ hub, config: quiet(160, 120), log });
  t.after(() => capture.stop());
  const stopped = () => lines.filter((line) => line.msg === 'no viewers: capture stopped').length;
  await capture.start();
  assert.equal(capture.isRunning, true, 'capture runs from start, before any viewer');
  assert.equal(capture.health().videoDelivered, false);
  await logged.waitForLine(() => stopped() === 1, 15_000, 'capture stopped after the first frame');
  assert.equal(capture.isRunning, false);
  assert.equal(capture.health().videoDelivered, true);
  assert.equal(capture.health().lastRun?.video.state, 'running', 'the last run is kept for the health check');
  assert.deepEqual(childPids(process.pid, 'ffmpeg'), []);

  await capture.reconfigure(quiet(192, 144));
  assert.equal(capture.isRunning, true, 'the new camera is tried at once');
  assert.equal(capture.health().videoDelivered, false);
  assert.equal(capture.health().lastRun, null);
  await logged.waitForLine(() => stopped() === 2, 15_000, 'capture stopped after the new camera delivered');
  assert.deepEqual(childPids(process.pid, 'ffmpeg'), []);

  const viewer = new FastViewer();
  hub.attach(viewer);
  await viewer.until(() => viewer.of(ChunkKind.Jpeg).length >= 2, 15_000, 'frames for the first viewer');
  assert.deepEqual(sizeOf(viewer.of(ChunkKind.Jpeg).at(-1)!), [192, 144]);
});

test('a factory that throws on reconfigure leaves the running sources as they were', async (t) => {
  const hub = new FrameHub();
  const { log } = capturingLogger();
  const refuseWide: CaptureSourceFactory = (config, listeners, sourceLog) => {
    if (config.video.width > 200) throw new Error('refused');
    return createCaptureSources(config, listeners, sourceLog);
  };
  const capture = new CaptureController({
    hub,
    config: cameraConfig(160, 120, { audio: { enabled: false } }),
    log,
    createSources: refuseWide,
  });
  t.after(() => capture.stop());
  const viewer = new FastViewer();
  hub.attach(viewer);
  await capture.start();
  await viewer.until(() => viewer.of(ChunkKind.Jpeg).length >= 2, 15_000, 'frames');
  const pids = childPids(process.pid, 'ffmpeg');
  await assert.rejects(capture.reconfigure(cameraConfig(320, 240, { audio: { enabled: false } })), /refused/);
  assert.deepEqual(childPids(process.pid, 'ffmpeg'), pids, 'the same camera child still runs');
  const count = viewer.of(ChunkKind.Jpeg).length;
  await viewer.until(() => viewer.of(ChunkKind.Jpeg).length >= count + 2, 15_000, 'frames keep coming');
  assert.deepEqual(sizeOf(viewer.of(ChunkKind.Jpeg).at(-1)!), [160, 120]);
});

test('stop ends every child; start after stop builds and runs capture again', async (t) => {
  const hub = new FrameHub();
  const { log } = capturingLogger();
  const capture = new CaptureController({ hub, config: cameraConfig(160, 120, { video: { idleSeconds: 0 } }), log });
  t.after(() => capture.stop());
  await capture.start();
  assert.equal(capture.isRunning, true, 'idleSeconds 0: capture runs without a viewer');
  const viewer = new FastViewer();
  hub.attach(viewer);
  await viewer.until(() => viewer.of(ChunkKind.Jpeg).length >= 1, 15_000, 'a frame');
  await capture.stop();
  assert.equal(capture.isRunning, false);
  assert.deepEqual(childPids(process.pid, 'ffmpeg'), []);
  await capture.start();
  const count = viewer.of(ChunkKind.Jpeg).length;
  await viewer.until(() => viewer.of(ChunkKind.Jpeg).length >= count + 1, 15_000, 'a frame after restart');
});
