import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import jpeg from 'jpeg-js';
import { EncoderChoices } from '../../../src/capture/process/encoder-probe.js';
import { resolveFfmpeg } from '../../../src/capture/process/ffmpeg-path.js';
import { ffmpegH264Program, H264VideoSource } from '../../../src/capture/sources/h264-video-source.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { capturingLogger, RecordingListener } from './recording-listener.js';

const FAST = { backoffMs: [150, 300, 600], stallMs: 4000, killGraceMs: 1000, healthyAfterMs: 60_000 };
const run = promisify(execFile);

const MJPEG_CAMERA = `[video4linux2,v4l2 @ 0x1b2c940] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 320x240
[video4linux2,v4l2 @ 0x1b2c940] Compressed:       mjpeg :          Motion-JPEG : 640x480 320x240`;
const H264_CAMERA = `[video4linux2,v4l2 @ 0x1b2c940] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 320x240
[video4linux2,v4l2 @ 0x1b2c940] Compressed:        h264 :                H.264 : 640x480 320x240
[video4linux2,v4l2 @ 0x1b2c940] Compressed:       mjpeg :          Motion-JPEG : 640x480 320x240`;

/**
 * A stand-in ffmpeg for a machine without /dev/video*, given as ffmpeg.path: `-list_formats` prints the
 * camera's format list; a v4l2 input becomes a looped file of what the camera would send (its JPEGs or its
 * H.264, made here by the real ffmpeg); everything else, the h264_v4l2m2m probe included, runs the real ffmpeg.
 * The capture command line is recorded, one argument per line, in ffmpeg.args.
 */
async function cameraStandIn(
  t: TestContext,
  formats: string,
): Promise<{ ffmpegPath: string; argsFile: string; mjpeg: string; h264: string }> {
  const real = await resolveFfmpeg(null);
  assert.ok(real.ok, 'the stand-in needs ffmpeg');
  const dir = await mkdtemp(path.join(tmpdir(), 'wscam-v4l2-h264-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const mjpeg = path.join(dir, 'camera.mjpg');
  const h264 = path.join(dir, 'camera.h264');
  const source = ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=3'];
  await run(real.path, [...source, '-c:v', 'mjpeg', '-q:v', '5', '-f', 'mjpeg', mjpeg]);
  await run(real.path, [
    ...source,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '10',
    '-bf',
    '0',
    '-f',
    'h264',
    h264,
  ]);
  const ffmpegPath = path.join(dir, 'ffmpeg');
  const script = `#!/bin/bash
case " $* " in *" -list_formats "*) printf '%s\\n' '${formats.replaceAll('\n', "' '")}' >&2; exit 1 ;; esac
case " $* " in *" -f v4l2 "*) ;; *) exec '${real.path}' "$@" ;; esac
printf '%s\\n' "$@" > '${dir}/ffmpeg.args'
out=()
while [ $# -gt 0 ]; do
  if [ "$1" = -f ] && [ "$2" = v4l2 ]; then
    format=$4 rate=$8
    out+=(-re -stream_loop -1 -f "$format" -framerate "$rate" -i "${dir}/camera.$([ "$format" = h264 ] && echo h264 || echo mjpg)")
    shift 10
  else
    out+=("$1"); shift
  fi
done
exec '${real.path}' "\${out[@]}"
`;
  await writeFile(ffmpegPath, script);
  await chmod(ffmpegPath, 0o755);
  return { ffmpegPath, argsFile: path.join(dir, 'ffmpeg.args'), mjpeg, h264 };
}

function v4l2Source(ffmpegPath: string) {
  const config = ConfigSchema.parse({
    video: { source: 'v4l2', codec: 'h264', device: '/dev/video9', width: 320, height: 240, fps: 10 },
    ffmpeg: { path: ffmpegPath },
  });
  const listener = new RecordingListener();
  const { log, lines } = capturingLogger();
  const program = ffmpegH264Program(config, log, new EncoderChoices());
  const source = new H264VideoSource(config, listener, log, program, 'second-output', { timing: FAST });
  const real = (kind: number) => listener.chunks.filter((chunk) => chunk.kind === kind && !chunk.placeholder);
  return { source, listener, lines, real };
}

const valueAfter = (args: string[], flag: string, from = 0) => args[args.indexOf(flag, from) + 1];

test('a v4l2 camera with JPEGs only: its JPEGs pass through to pipe:3 untouched, libx264 encodes the H.264 (and the log says why)', async (t) => {
  const camera = await cameraStandIn(t, MJPEG_CAMERA);
  const { source, listener, lines, real } = v4l2Source(camera.ffmpegPath);
  t.after(() => source.stop());
  void source.start();
  await listener.until(() => real(ChunkKind.H264).length >= 3 && real(ChunkKind.Jpeg).length >= 3, 30_000, 'both kinds');
  const chosen = lines.find((line) => line.msg === 'H.264 encoder chosen');
  assert.equal(chosen?.['video encoder'], 'libx264');
  assert.match(String(chosen?.why), /^h264_v4l2m2m failed: .+; camera: offers yuyv422, mjpeg, no h264$/);

  const args = (await readFile(camera.argsFile, 'utf8')).trim().split('\n');
  assert.deepEqual(args.slice(args.indexOf('-f'), args.indexOf('-i') + 2), [
    ...['-f', 'v4l2', '-input_format', 'mjpeg', '-video_size', '320x240', '-framerate', '10', '-i', '/dev/video9'],
  ]);
  const jpegOutput = args.indexOf('pipe:3');
  assert.equal(valueAfter(args.slice(0, jpegOutput), '-c:v'), 'copy', 'the JPEG output copies');
  assert.equal(valueAfter(args, '-c:v', jpegOutput), 'libx264');
  const fixture = await readFile(camera.mjpeg);
  assert.ok(fixture.includes(real(ChunkKind.Jpeg).at(-1)!.payload), "a JPEG viewer gets the camera's own bytes");
  assert.deepEqual([real(ChunkKind.H264)[0]!.keyframe, real(ChunkKind.H264)[0]!.videoFormat?.width], [true, 320]);
});

test('a v4l2 camera with H.264: its stream is copied to pipe:1, JPEGs are encoded from it', async (t) => {
  const camera = await cameraStandIn(t, H264_CAMERA);
  const { source, listener, lines, real } = v4l2Source(camera.ffmpegPath);
  t.after(() => source.stop());
  void source.start();
  await listener.until(() => real(ChunkKind.H264).length >= 12 && real(ChunkKind.Jpeg).length >= 3, 30_000, 'both kinds');
  const chosen = lines.find((line) => line.msg === 'H.264 encoder chosen');
  assert.deepEqual([chosen?.['video encoder'], chosen?.why], ['camera', 'the camera offers H.264 at this size']);

  const args = (await readFile(camera.argsFile, 'utf8')).trim().split('\n');
  assert.equal(valueAfter(args, '-input_format'), 'h264');
  const h264Output = args.indexOf('pipe:3');
  assert.equal(valueAfter(args, '-c:v', h264Output), 'copy', 'the H.264 output copies');
  const fixture = await readFile(camera.h264);
  const units = real(ChunkKind.H264);
  assert.ok(fixture.includes(units[5]!.payload), "the access units are the camera's own bytes");
  assert.ok(
    units.some((unit, index) => index > 0 && unit.keyframe),
    "the camera's keyframes are flagged",
  );
  const decoded = jpeg.decode(real(ChunkKind.Jpeg).at(-1)!.payload, { useTArray: true });
  assert.deepEqual([decoded.width, decoded.height], [320, 240]);
});
