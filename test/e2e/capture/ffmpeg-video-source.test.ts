import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { FfmpegVideoSource } from '../../../src/capture/sources/ffmpeg-video-source.js';
import { noSignalJpeg } from '../../../src/capture/sources/no-signal.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { ConfigSchema, type ConfigInput } from '../../../src/config/schema.js';
import { capturingLogger, RecordingListener } from './recording-listener.js';

const FAST = { backoffMs: [150, 300, 600], stallMs: 3000, killGraceMs: 1000, healthyAfterMs: 400 };
const TESTSRC = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=20'];

function videoSource(video: NonNullable<ConfigInput['video']>, ffmpegPath: string | null = null) {
  const config = ConfigSchema.parse({ video, ffmpeg: { path: ffmpegPath } });
  const listener = new RecordingListener();
  const { log, lines } = capturingLogger();
  const source = new FfmpegVideoSource(config, listener, log, { timing: FAST, noSignalIntervalMs: 200, noSignalAfterMs: 400 });
  return { source, listener, lines };
}

const isRunning = (listener: RecordingListener) => () => listener.states.at(-1)?.status === 'running';
const realFrames = (listener: RecordingListener, size: { width: number; height: number }) =>
  listener.chunks.filter((c) => !c.payload.equals(noSignalJpeg(size.width, size.height)));

test('lavfi testsrc2 gives whole JPEGs at the configured size; stop then start works', async (t) => {
  const video = { source: 'ffmpeg' as const, input: TESTSRC, width: 160, height: 120, fps: 10, quality: 70 };
  const { source, listener, lines } = videoSource(video);
  t.after(() => source.stop());
  void source.start();
  assert.deepEqual(listener.states[0], { status: 'starting' });
  // "No signal" pictures start 400 ms in; a slow ffmpeg start must not let three of them pass for frames.
  await listener.until(() => realFrames(listener, video).length >= 3, 10_000, 'three frames');
  assert.equal(source.state.status, 'running');
  for (const chunk of listener.chunks) {
    assert.equal(chunk.kind, ChunkKind.Jpeg);
    assert.deepEqual([...chunk.payload.subarray(0, 2)], [0xff, 0xd8]);
    assert.deepEqual([...chunk.payload.subarray(-2)], [0xff, 0xd9]);
    assert.ok(Math.abs(chunk.captureTimeUs - Date.now() * 1000) < 10_000_000, 'capture time is wall-clock µs');
  }
  const decoded = jpeg.decode(realFrames(listener, video)[1]!.payload, { useTArray: true });
  assert.deepEqual([decoded.width, decoded.height], [160, 120]);
  assert.ok(
    lines.some((l) => /^first frame after \d+ ms$/.test(String(l.msg))),
    'logs the time to the first frame',
  );

  const pid = source.pid!;
  await source.stop();
  assert.deepEqual(listener.states.at(-1), { status: 'stopped' });
  assert.equal(source.pid, undefined);
  assert.throws(() => process.kill(pid, 0), 'the child is gone once stop() resolves');

  const before = listener.chunks.length;
  void source.start();
  await listener.until(() => listener.chunks.length >= before + 2 && source.state.status === 'running', 10_000, 'frames after restart');
  await source.stop();
});

test('kill -9 of ffmpeg: the source reports down and frames come back after the backoff', async (t) => {
  const video = { source: 'ffmpeg' as const, input: TESTSRC, width: 320, height: 240, fps: 20 };
  const { source, listener, lines } = videoSource(video);
  t.after(() => source.stop());
  void source.start();
  await listener.until(isRunning(listener), 10_000, 'running');
  const firstPid = source.pid!;
  process.kill(firstPid, 'SIGKILL');
  await listener.until(() => listener.states.some((s) => s.status === 'down'), 5000, 'down');
  const down = listener.states.find((s) => s.status === 'down');
  assert.deepEqual(down, { status: 'down', reason: 'ffmpeg exited with signal SIGKILL', retryInMs: 150 });
  assert.ok(
    lines.some((l) => l.msg === 'ffmpeg exited unexpectedly' && l.signal === 'SIGKILL'),
    'exit is logged with the signal',
  );
  const count = realFrames(listener, video).length;
  await listener.until(() => isRunning(listener)() && realFrames(listener, video).length > count + 2, 10_000, 'frames again');
  assert.notEqual(source.pid, firstPid);
  assert.equal(source.restarts, 1);

  // After a healthy stretch (healthyAfterMs) the backoff starts again from its first step.
  const healthySince = performance.now();
  await listener.until(() => performance.now() - healthySince > 500, 5000, 'a healthy stretch');
  const downs = () => listener.states.filter((s) => s.status === 'down');
  const downsBefore = downs().length;
  process.kill(source.pid!, 'SIGKILL');
  await listener.until(() => downs().length > downsBefore, 5000, 'down again');
  assert.deepEqual(downs().at(-1), { status: 'down', reason: 'ffmpeg exited with signal SIGKILL', retryInMs: 150 });
});

test('a missing input: down with a reason, growing retry delays, no-signal frames meanwhile', async (t) => {
  const video = { source: 'ffmpeg' as const, input: ['-f', 'v4l2', '-i', '/dev/video-missing'], width: 96, height: 64 };
  const { source, listener, lines } = videoSource(video);
  t.after(() => source.stop());
  void source.start();
  const downs = () => listener.states.filter((s) => s.status === 'down');
  await listener.until(() => downs().length >= 3 && listener.chunks.length >= 2, 10_000, 'three failures and no-signal frames');
  const first = downs()[0]!;
  assert.ok(first.status === 'down');
  assert.match(first.reason, /video-missing/);
  assert.deepEqual(
    downs()
      .slice(0, 3)
      .map((s) => (s.status === 'down' ? s.retryInMs : 0)),
    [150, 300, 600],
  );
  const noSignal = noSignalJpeg(96, 64);
  for (const chunk of listener.chunks) {
    assert.equal(chunk.kind, ChunkKind.Jpeg);
    assert.ok(chunk.payload.equals(noSignal));
  }
  const decoded = jpeg.decode(noSignal, { useTArray: true });
  assert.deepEqual([decoded.width, decoded.height], [96, 64]);
  assert.ok(
    lines.some((l) => /ffmpeg: .*video-missing/.test(String(l.msg))),
    'stderr reaches the log',
  );
  await source.stop();
  const after = listener.chunks.length;
  assert.equal(source.state.status, 'stopped');
  // No timers left behind: nothing is published after stop().
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(listener.chunks.length, after);
});

test('v4l2 auto: a camera without MJPEG makes the next attempt ask for yuyv422', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wscam-fake-ffmpeg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const argsLog = path.join(dir, 'args.log');
  const fake = path.join(dir, 'ffmpeg');
  const message = "[video4linux2,v4l2 @ 0x55d0] Cannot find a proper format for codec 'mjpeg' (id 7), pixel format 'none' (id -1)";
  await writeFile(fake, `#!/bin/sh\necho "$*" >> '${argsLog}'\necho "${message}" >&2\nexit 1\n`);
  await chmod(fake, 0o755);
  const { source, listener } = videoSource({ source: 'v4l2', device: '/dev/video7', inputFormat: 'auto' }, fake);
  t.after(() => source.stop());
  void source.start();
  await listener.until(() => listener.states.filter((s) => s.status === 'down').length >= 2, 10_000, 'two attempts');
  await source.stop();
  const attempts = (await readFile(argsLog, 'utf8')).trim().split('\n');
  assert.match(attempts[0]!, /-input_format mjpeg .*-c:v copy/);
  assert.match(attempts[1]!, /-input_format yuyv422 .*-c:v mjpeg/);
});

test('a stuck ffmpeg (alive, no output) is killed after the stall timeout, SIGKILL if it ignores SIGTERM', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wscam-stuck-ffmpeg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const fake = path.join(dir, 'ffmpeg');
  await writeFile(fake, "#!/bin/sh\ntrap '' TERM\nexec sleep 30\n");
  await chmod(fake, 0o755);
  const config = ConfigSchema.parse({ video: { source: 'ffmpeg' }, ffmpeg: { path: fake } });
  const listener = new RecordingListener();
  const { log, lines } = capturingLogger();
  const source = new FfmpegVideoSource(config, listener, log, { timing: { backoffMs: [5000], stallMs: 300, killGraceMs: 200 } });
  t.after(() => source.stop());
  void source.start();
  await listener.until(() => listener.states.some((s) => s.status === 'down'), 5000, 'down after the stall');
  assert.deepEqual(
    listener.states.find((s) => s.status === 'down'),
    { status: 'down', reason: 'ffmpeg: no frame for 300 ms', retryInMs: 5000 },
  );
  assert.ok(
    lines.some((l) => l.msg === 'ffmpeg exited unexpectedly' && l.signal === 'SIGKILL'),
    'SIGKILL after the grace period',
  );
  await source.stop();
});

test('no ffmpeg at the configured path: down with a reason naming it, no exception, no-signal frames', async (t) => {
  const { source, listener } = videoSource({ source: 'ffmpeg', width: 64, height: 48 }, '/nonexistent/bin/ffmpeg');
  t.after(() => source.stop());
  void source.start();
  await listener.until(() => listener.chunks.length >= 1 && listener.states.some((s) => s.status === 'down'), 5000, 'down');
  const down = listener.states.find((s) => s.status === 'down');
  assert.ok(down?.status === 'down');
  assert.match(down.reason, /ffmpeg\.path "\/nonexistent\/bin\/ffmpeg" does not exist/);
  assert.ok(listener.chunks[0]!.payload.equals(noSignalJpeg(64, 48)));
  await source.stop();
});
