import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureExecutable, resolveFfmpeg } from '../../../src/capture/process/ffmpeg-path.js';
import { firstV4l2Format, qualityToQscale, videoArgs, audioArgs } from '../../../src/capture/process/ffmpeg-args.js';
import { ConfigSchema } from '../../../src/config/schema.js';

test('with no ffmpeg.path and nothing on PATH, the npm package binary is found and runs', async () => {
  const found = await resolveFfmpeg(null, { PATH: '' });
  assert.ok(found.ok, found.ok ? '' : found.error);
  assert.equal(found.from, 'npm');
  await access(found.path, constants.X_OK);
});

test('ffmpeg on PATH wins over the npm package', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wscam-path-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'ffmpeg'), '#!/bin/sh\n', { mode: 0o755 });
  const found = await resolveFfmpeg(null, { PATH: `/nonexistent:${dir}` });
  assert.deepEqual(found, { ok: true, path: path.join(dir, 'ffmpeg'), from: 'PATH' });
});

test('a configured ffmpeg.path that does not exist is an error value naming all three places', async () => {
  const found = await resolveFfmpeg('/nonexistent/ffmpeg', { PATH: '' });
  assert.equal(found.ok, false);
  assert.ok(!found.ok);
  assert.match(found.error, /^ffmpeg: /);
  assert.match(found.error, /ffmpeg\.path "\/nonexistent\/ffmpeg" does not exist/);
  assert.match(found.error, /PATH/);
  assert.match(found.error, /@ffmpeg-installer\/ffmpeg/);
});

test('ensureExecutable adds u+x to a file that lacks it', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wscam-chmod-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'ffmpeg');
  await writeFile(file, '#!/bin/sh\n');
  await chmod(file, 0o644);
  assert.equal(await ensureExecutable(file), null);
  await access(file, constants.X_OK);
  assert.equal(await ensureExecutable(path.join(dir, 'missing')), 'does not exist');
});

test('quality 1..100 maps onto -q:v 31..2', () => {
  assert.equal(qualityToQscale(1), 31);
  assert.equal(qualityToQscale(100), 2);
  assert.ok(qualityToQscale(80) < qualityToQscale(50));
});

test('v4l2 passes camera JPEGs through, or encodes YUYV; ffmpeg inputs are scaled and encoded', () => {
  const config = ConfigSchema.parse({ video: { source: 'v4l2', device: '/dev/video2', width: 1280, height: 720, fps: 30 } });
  assert.equal(firstV4l2Format(config.video.inputFormat), 'mjpeg');
  const mjpeg = videoArgs(config.video, 'mjpeg').join(' ');
  assert.match(mjpeg, /-f v4l2 -input_format mjpeg -video_size 1280x720 -framerate 30 -i \/dev\/video2 .*-c:v copy .*-f mjpeg pipe:1$/);
  assert.doesNotMatch(mjpeg, /-q:v/);
  const yuyv = videoArgs(config.video, 'yuyv422').join(' ');
  assert.match(yuyv, /-input_format yuyv422 .*-c:v mjpeg -pix_fmt yuvj420p -q:v \d+ .*-f mjpeg pipe:1$/);
  const ffmpeg = ConfigSchema.parse({ video: { source: 'ffmpeg', width: 320, height: 240, fps: 5, input: ['-i', 'in.mp4'] } });
  assert.match(videoArgs(ffmpeg.video, 'mjpeg').join(' '), /^-hide_banner -nostdin .*-i in\.mp4 -an -vf scale=320:240,fps=5 -c:v mjpeg/);
});

test('alsa audio input and the two codecs', () => {
  const alsa = ConfigSchema.parse({ audio: { source: 'alsa', device: 'hw:1', sampleRate: 16000, channels: 2, codec: 'opus' } });
  const args = audioArgs(alsa.audio).join(' ');
  assert.match(args, /-f alsa -ac 2 -ar 16000 -i hw:1 /);
  assert.match(args, /-c:a libopus -b:a 32k -frame_duration 20 -application lowdelay -page_duration 20000 .*-f ogg pipe:1$/);
  const pcm = ConfigSchema.parse({ audio: { source: 'alsa', codec: 'pcm' } });
  assert.match(audioArgs(pcm.audio).join(' '), /-c:a pcm_s16le .*-f s16le pipe:1$/);
});
