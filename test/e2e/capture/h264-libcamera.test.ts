import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import jpeg from 'jpeg-js';
import { resolveFfmpeg } from '../../../src/capture/process/ffmpeg-path.js';
import { libcameraArgs, libcameraProgram } from '../../../src/capture/process/libcamera.js';
import { H264VideoSource } from '../../../src/capture/sources/h264-video-source.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { capturingLogger, RecordingListener } from './recording-listener.js';

const FAST = { backoffMs: [150, 300, 600], stallMs: 3000, killGraceMs: 1000, healthyAfterMs: 60_000 };

/**
 * A stand-in for rpicam-vid in H.264 mode (this machine has no camera): records its arguments in NAME.args,
 * then writes Annex B H.264 at the size, rate and intra period it was asked for, made by ffmpeg's libx264.
 */
async function h264StandIn(t: TestContext): Promise<{ dir: string; argsFile: string }> {
  const ffmpeg = await resolveFfmpeg(null);
  assert.ok(ffmpeg.ok, 'the stand-in needs ffmpeg');
  const dir = await mkdtemp(path.join(tmpdir(), 'wscam-rpicam-h264-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'rpicam-vid');
  const script = `#!/bin/sh
printf '%s\\n' "$@" > "$0.args"
w=640 h=480 f=15 g=15
while [ $# -gt 0 ]; do
  case "$1" in --width) w=$2; shift ;; --height) h=$2; shift ;; --framerate) f=$2; shift ;; --intra) g=$2; shift ;; esac
  shift
done
exec '${ffmpeg.path}' -hide_banner -nostdin -loglevel error -re -f lavfi -i "testsrc2=size=\${w}x\${h}:rate=\${f}" -c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p -g "$g" -bf 0 -flush_packets 1 -f h264 -
`;
  await writeFile(file, script);
  await chmod(file, 0o755);
  return { dir, argsFile: `${file}.args` };
}

test('rpicam-vid in H.264 mode: --codec h264 --inline, --intra from keyframeSeconds, bitrate in bit/s, --flush', () => {
  const { video } = ConfigSchema.parse({
    video: { source: 'libcamera', codec: 'h264', width: 1280, height: 720, fps: 30, keyframeSeconds: 2, libcameraArgs: ['--hflip'] },
  });
  assert.deepEqual(libcameraArgs(video), [
    ...['-t', '0', '-n', '--codec', 'h264', '--width', '1280', '--height', '720', '--framerate', '30'],
    ...['--inline', '--intra', '60', '--bitrate', '1382000', '--flush', '--hflip', '-o', '-'],
  ]);
});

test('source "libcamera" in H.264 mode: access units from rpicam-vid, JPEGs from the transcoder; its death costs only JPEGs', async (t) => {
  const { dir, argsFile } = await h264StandIn(t);
  const config = ConfigSchema.parse({
    video: { source: 'libcamera', codec: 'h264', width: 320, height: 240, fps: 10, keyframeSeconds: 1 },
  });
  const listener = new RecordingListener();
  const { log, lines } = capturingLogger();
  const program = libcameraProgram(config.video, { PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}` });
  const source = new H264VideoSource(config, listener, log, program, 'transcode', { timing: FAST });
  t.after(() => source.stop());
  void source.start();
  const real = (kind: number) => listener.chunks.filter((chunk) => chunk.kind === kind && !chunk.placeholder);
  await listener.until(() => real(ChunkKind.H264).length >= 3 && real(ChunkKind.Jpeg).length >= 3, 30_000, 'access units and JPEGs');
  const first = real(ChunkKind.H264)[0]!;
  assert.equal(first.keyframe, true);
  assert.deepEqual([first.videoFormat?.width, first.videoFormat?.height], [320, 240]);
  const decoded = jpeg.decode(real(ChunkKind.Jpeg).at(-1)!.payload, { useTArray: true });
  assert.deepEqual([decoded.width, decoded.height], [320, 240]);
  const args = (await readFile(argsFile, 'utf8')).trim().split('\n');
  assert.deepEqual(args.slice(3, 5), ['--codec', 'h264']);
  assert.ok(lines.some((line) => line.msg === 'rpicam-vid spawned'));

  // Killing the transcoder (the ffmpeg child that is not the camera's) leaves the camera running.
  const transcoderPid = (lines.find((line) => line.msg === 'ffmpeg spawned')?.childPid ?? 0) as number;
  assert.ok(transcoderPid > 0, 'the transcoder logged its pid');
  const cameraPid = source.pid;
  process.kill(transcoderPid, 'SIGKILL');
  await listener.until(() => lines.some((line) => line.msg === 'ffmpeg exited unexpectedly'), 10_000, 'the transcoder exit');
  const jpegsBefore = real(ChunkKind.Jpeg).length;
  await listener.until(() => real(ChunkKind.Jpeg).length >= jpegsBefore + 3, 30_000, 'JPEGs from a new transcoder');
  assert.equal(source.pid, cameraPid, 'the camera child was not restarted');
  assert.ok(
    listener.states.every((state) => state.status !== 'down'),
    'the source never went down',
  );
});
