import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import jpeg from 'jpeg-js';
import { resolveFfmpeg } from '../../../src/capture/process/ffmpeg-path.js';
import { libcameraArgs, libcameraProgram } from '../../../src/capture/process/libcamera.js';
import { commandProgram, MjpegVideoSource } from '../../../src/capture/sources/mjpeg-video-source.js';
import { noSignalJpeg } from '../../../src/capture/sources/no-signal.js';
import { readConfigFile } from '../../../src/config/load.js';
import { ConfigSchema, type ConfigInput } from '../../../src/config/schema.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { startDaemon } from '../../helpers/daemon.js';
import { isWholeJpeg, TestViewer } from '../../helpers/ws-viewer.js';
import { capturingLogger, RecordingListener } from './recording-listener.js';

const FAST = { backoffMs: [150, 300, 600], stallMs: 3000, killGraceMs: 1000, healthyAfterMs: 60_000 };

/**
 * A stand-in for rpicam-vid (this machine has no camera): records its arguments, one per line, in NAME.args
 * beside itself, then writes real MJPEG at the size and rate it was asked for, from ffmpeg's lavfi test source.
 */
async function standIn(t: TestContext, name: string): Promise<{ dir: string; argsFile: string }> {
  const ffmpeg = await resolveFfmpeg(null);
  assert.ok(ffmpeg.ok, 'the stand-in needs ffmpeg');
  const dir = await mkdtemp(path.join(tmpdir(), 'wscam-libcamera-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  const script = `#!/bin/sh
printf '%s\\n' "$@" > "$0.args"
w=640 h=480 f=15
while [ $# -gt 0 ]; do
  case "$1" in --width) w=$2; shift ;; --height) h=$2; shift ;; --framerate) f=$2; shift ;; esac
  shift
done
exec '${ffmpeg.path}' -hide_banner -nostdin -loglevel error -re -f lavfi -i "testsrc2=size=\${w}x\${h}:rate=\${f}" -c:v mjpeg -q:v 5 -f mjpeg -
`;
  await writeFile(file, script);
  await chmod(file, 0o755);
  return { dir, argsFile: `${file}.args` };
}

/** PATH with `dir` first and no directory that holds a real rpicam-vid or libcamera-vid (this machine has none). */
const pathWith = (dir: string) => `${dir}${path.delimiter}${process.env.PATH ?? ''}`;

function libcameraSource(video: NonNullable<ConfigInput['video']>, env: NodeJS.ProcessEnv) {
  const config = ConfigSchema.parse({ video: { source: 'libcamera', ...video } });
  const listener = new RecordingListener();
  const { log, lines } = capturingLogger();
  const source = new MjpegVideoSource(config.video, listener, log, libcameraProgram(config.video, env), { timing: FAST });
  return { source, listener, lines, config };
}

const realFrames = (listener: RecordingListener) => listener.chunks.filter((chunk) => !chunk.placeholder);

test('rpicam-vid arguments: no timeout, no preview, MJPEG at the configured size, rate and quality, extra args, stdout', () => {
  const { video } = ConfigSchema.parse({
    video: {
      source: 'libcamera',
      width: 1296,
      height: 972,
      fps: 25,
      quality: 70,
      libcameraArgs: ['--hflip', '--autofocus-mode', 'continuous'],
    },
  });
  assert.deepEqual(libcameraArgs(video), [
    '-t',
    '0',
    '-n',
    '--codec',
    'mjpeg',
    '--width',
    '1296',
    '--height',
    '972',
    '--framerate',
    '25',
    '--quality',
    '70',
    '--hflip',
    '--autofocus-mode',
    'continuous',
    '-o',
    '-',
  ]);
});

test('source "libcamera" in the daemon: rpicam-vid on PATH gets the arguments and its frames reach a ws viewer', async (t) => {
  const { dir, argsFile } = await standIn(t, 'rpicam-vid');
  const daemon = await startDaemon({
    config: {
      video: { source: 'libcamera', width: 320, height: 240, fps: 10, quality: 60, libcameraArgs: ['--hflip'] },
      audio: { enabled: false },
    },
    env: { PATH: pathWith(dir) },
  });
  const viewer = new TestViewer(daemon.wsUrl);
  try {
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).filter((frame) => isWholeJpeg(frame.payload)).length >= 3, 30_000, 'three frames');
    const decoded = jpeg.decode(viewer.of(ChunkKind.Jpeg).at(-1)!.payload, { useTArray: true });
    assert.deepEqual([decoded.width, decoded.height], [320, 240]);
    const args = (await readFile(argsFile, 'utf8')).trim().split('\n');
    assert.deepEqual(args, [
      '-t',
      '0',
      '-n',
      '--codec',
      'mjpeg',
      '--width',
      '320',
      '--height',
      '240',
      '--framerate',
      '10',
      '--quality',
      '60',
      '--hflip',
      '-o',
      '-',
    ]);
    const health = (await (await fetch(`${daemon.baseUrl}/healthz`)).json()) as { status: string; video: { state: string } };
    assert.equal(health.video.state, 'running');
  } finally {
    viewer.close();
    await daemon.stop();
  }
});

test('without rpicam-vid on PATH, libcamera-vid (its older name) runs instead', async (t) => {
  const { dir, argsFile } = await standIn(t, 'libcamera-vid');
  const { source, listener, lines } = libcameraSource({ width: 160, height: 120, fps: 10 }, { PATH: pathWith(dir) });
  t.after(() => source.stop());
  await source.start();
  await listener.until(() => realFrames(listener).length >= 2, 15_000, 'frames from libcamera-vid');
  const args = (await readFile(argsFile, 'utf8')).trim().split('\n');
  assert.deepEqual(args.slice(0, 5), ['-t', '0', '-n', '--codec', 'mjpeg']);
  assert.ok(
    lines.some((line) => line.msg === 'libcamera-vid spawned'),
    'the log names the program that ran',
  );
});

test('the stand-in dies: down with its exit, restarted after the backoff, frames again; missing programs: a reason that says what to install', async (t) => {
  const { dir } = await standIn(t, 'rpicam-vid');
  const { source, listener } = libcameraSource({ width: 160, height: 120, fps: 10 }, { PATH: pathWith(dir) });
  t.after(() => source.stop());
  await source.start();
  await listener.until(() => source.state.status === 'running', 15_000, 'running');
  const firstPid = source.pid!;
  process.kill(firstPid, 'SIGKILL');
  await listener.until(() => listener.states.some((state) => state.status === 'down'), 5000, 'down');
  assert.deepEqual(
    listener.states.find((state) => state.status === 'down'),
    { status: 'down', reason: 'rpicam-vid exited with signal SIGKILL', retryInMs: FAST.backoffMs[0] },
  );
  const count = realFrames(listener).length;
  await listener.until(
    () => source.state.status === 'running' && realFrames(listener).length > count + 1,
    15_000,
    'frames after the restart',
  );
  assert.notEqual(source.pid, firstPid);
  assert.equal(source.restarts, 1);
  await source.stop();

  const empty = await mkdtemp(path.join(tmpdir(), 'wscam-no-camera-'));
  t.after(() => rm(empty, { recursive: true, force: true }));
  const missing = libcameraSource({ width: 64, height: 48 }, { PATH: empty });
  t.after(() => missing.source.stop());
  await missing.source.start();
  const downs = () => missing.listener.states.filter((state) => state.status === 'down');
  await missing.listener.until(() => downs().length >= 2 && missing.listener.chunks.length > 0, 10_000, 'two failed launches');
  const down = downs()[0]!;
  assert.ok(down.status === 'down');
  assert.match(down.reason, /neither rpicam-vid nor libcamera-vid is on PATH; install rpicam-apps/);
  assert.deepEqual(
    downs()
      .slice(0, 2)
      .map((state) => state.status === 'down' && state.retryInMs),
    [150, 300],
  );
  assert.ok(missing.listener.chunks[0]!.payload.equals(noSignalJpeg(64, 48)), '"no signal" meanwhile');
});

test('source "command": any program writing MJPEG to stdout, in the daemon, frames reach a ws viewer', async () => {
  const ffmpeg = await resolveFfmpeg(null);
  assert.ok(ffmpeg.ok);
  const command = [
    ffmpeg.path,
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=192x144:rate=10',
    '-c:v',
    'mjpeg',
    '-f',
    'mjpeg',
    'pipe:1',
  ];
  const daemon = await startDaemon({
    config: { video: { source: 'command', command, width: 192, height: 144, fps: 10 }, audio: { enabled: false } },
  });
  const viewer = new TestViewer(daemon.wsUrl);
  try {
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).filter((frame) => isWholeJpeg(frame.payload)).length >= 3, 30_000, 'three frames');
    const decoded = jpeg.decode(viewer.of(ChunkKind.Jpeg).at(-1)!.payload, { useTArray: true });
    assert.deepEqual([decoded.width, decoded.height], [192, 144]);
  } finally {
    viewer.close();
    await daemon.stop();
  }
});

test('source "command" with a program that is not there: down with the spawn error, retried', async (t) => {
  const { video } = ConfigSchema.parse({
    video: { source: 'command', command: ['wscam-no-such-program', '--mjpeg'], width: 64, height: 48 },
  });
  const listener = new RecordingListener();
  const { log } = capturingLogger();
  const source = new MjpegVideoSource(video, listener, log, commandProgram(video.command), { timing: FAST });
  t.after(() => source.stop());
  await source.start();
  await listener.until(() => listener.states.filter((state) => state.status === 'down').length >= 2, 10_000, 'two failed launches');
  const down = listener.states.find((state) => state.status === 'down');
  assert.ok(down?.status === 'down');
  assert.match(down.reason, /^wscam-no-such-program: could not run: spawn wscam-no-such-program ENOENT$/);
});

test('config: source "command" needs a non-empty video.command; the new keys are strict', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wscam-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const write = async (config: unknown) => {
    const file = path.join(dir, 'config.json');
    await writeFile(file, JSON.stringify(config));
    return readConfigFile(file);
  };
  const empty = await write({ video: { source: 'command' } });
  assert.equal(empty.ok, false);
  assert.ok(
    !empty.ok &&
      empty.errors.some((line) => /^video\.command: must name the program and its arguments when video\.source is "command"/.test(line)),
    JSON.stringify(empty),
  );
  const badArgs = await write({ video: { source: 'libcamera', libcameraArgs: ['--hflip', 7] } });
  assert.ok(!badArgs.ok && badArgs.errors.some((line) => line.startsWith('video.libcameraArgs.1: ')), JSON.stringify(badArgs));
  const good = await write({ video: { source: 'libcamera', libcameraArgs: ['--vflip'] } });
  assert.ok(good.ok && good.config.video.libcameraArgs[0] === '--vflip');
  const otherSources = await write({ video: { source: 'v4l2' } });
  assert.ok(otherSources.ok && otherSources.config.video.command.length === 0, 'an empty command is fine for other sources');
});
