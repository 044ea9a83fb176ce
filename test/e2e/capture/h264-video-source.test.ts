import assert from 'node:assert/strict';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { EncoderChoices } from '../../../src/capture/process/encoder-probe.js';
import { ffmpegH264Program, H264VideoSource } from '../../../src/capture/sources/h264-video-source.js';
import { ConfigSchema, type ConfigInput } from '../../../src/config/schema.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { capturingLogger, RecordingListener } from './recording-listener.js';

const FAST = { backoffMs: [150, 300, 600], stallMs: 3000, killGraceMs: 1000, healthyAfterMs: 60_000 };

function h264Source(video: NonNullable<ConfigInput['video']>) {
  const config = ConfigSchema.parse({ video: { codec: 'h264', ...video } });
  const listener = new RecordingListener();
  const { log, lines } = capturingLogger();
  const program = ffmpegH264Program(config, log, new EncoderChoices());
  const source = new H264VideoSource(config, listener, log, program, 'second-output', { timing: FAST });
  return { source, listener, lines };
}

const ofKind = (listener: RecordingListener, kind: number) => listener.chunks.filter((chunk) => chunk.kind === kind && !chunk.placeholder);

test('source "ffmpeg" in H.264 mode: access units from pipe:1, keyframe first and every keyframeSeconds, JPEGs from pipe:3', async (t) => {
  const input = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=20'];
  const { source, listener, lines } = h264Source({ source: 'ffmpeg', input, width: 320, height: 240, fps: 10, keyframeSeconds: 0.5 });
  t.after(() => source.stop());
  void source.start();
  await listener.until(
    () => ofKind(listener, ChunkKind.H264).length >= 12 && ofKind(listener, ChunkKind.Jpeg).length >= 3,
    20_000,
    'both kinds',
  );

  const units = ofKind(listener, ChunkKind.H264);
  assert.equal(units[0]!.keyframe, true, 'the first access unit is a keyframe');
  assert.deepEqual(units[0]!.videoFormat, { codecString: units[0]!.videoFormat!.codecString, width: 320, height: 240 });
  assert.match(units[0]!.videoFormat.codecString, /^avc1\.[0-9A-F]{6}$/i);
  // keyframeSeconds 0.5 at 10 fps: an IDR every 5 frames, each with SPS (type 7) and PPS (type 8) in front.
  const keyframeIndexes = units.flatMap((unit, index) => (unit.keyframe ? [index] : []));
  assert.deepEqual(keyframeIndexes.slice(0, 3), [0, 5, 10]);
  for (const index of keyframeIndexes) {
    const types = nalTypes(units[index]!.payload);
    assert.ok(types.includes(7) && types.includes(8) && types.includes(5), `keyframe ${index} has SPS, PPS and IDR: ${types.join(',')}`);
  }
  assert.ok(
    units.filter((unit) => !unit.keyframe).every((unit) => !nalTypes(unit.payload).includes(5)),
    'only keyframes hold IDR slices',
  );
  for (const chunk of listener.chunks) assert.ok(Math.abs(chunk.captureTimeUs - Date.now() * 1000) < 20_000_000, 'wall-clock capture time');
  const decoded = jpeg.decode(ofKind(listener, ChunkKind.Jpeg).at(-1)!.payload, { useTArray: true });
  assert.deepEqual([decoded.width, decoded.height], [320, 240]);

  const chosen = lines.find((line) => line.msg === 'H.264 encoder chosen');
  assert.equal(chosen?.['video encoder'], 'libx264', 'this machine has no hardware encoder');
  assert.match(String(chosen?.why), /^h264_v4l2m2m failed: /);
});

test('H.264 mode: kill -9 of ffmpeg, down with the reason, back after the backoff starting at a keyframe; no second probe', async (t) => {
  const { source, listener, lines } = h264Source({ source: 'test', width: 160, height: 120, fps: 10 });
  t.after(() => source.stop());
  void source.start();
  await listener.until(() => source.state.status === 'running' && ofKind(listener, ChunkKind.H264).length >= 2, 20_000, 'running');
  const firstPid = source.pid!;
  process.kill(firstPid, 'SIGKILL');
  await listener.until(() => listener.states.some((state) => state.status === 'down'), 5000, 'down');
  assert.deepEqual(
    listener.states.find((state) => state.status === 'down'),
    { status: 'down', reason: 'ffmpeg exited with signal SIGKILL', retryInMs: 150 },
  );
  const before = listener.chunks.length;
  await listener.until(
    () => source.state.status === 'running' && listener.chunks.slice(before).filter((c) => c.kind === ChunkKind.H264).length >= 2,
    20_000,
    'access units after the restart',
  );
  assert.notEqual(source.pid, firstPid);
  assert.equal(
    listener.chunks.slice(before).find((chunk) => chunk.kind === ChunkKind.H264)?.keyframe,
    true,
    'a new child starts at a keyframe',
  );
  assert.equal(lines.filter((line) => line.msg === 'H.264 encoder chosen').length, 1, 'the choice is logged once per source');
});

/** NAL unit types of an Annex B access unit. */
function nalTypes(payload: Buffer): number[] {
  const types: number[] = [];
  for (let i = 0; i + 3 < payload.length; i += 1) {
    if (payload[i] === 0 && payload[i + 1] === 0 && payload[i + 2] === 1) types.push(payload[i + 3]! & 0x1f);
  }
  return types;
}
