import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EncoderChoices, listFormatsArgs, probeEncoder, type ProbeOutcome } from '../../../src/capture/process/encoder-probe.js';
import {
  cameraH264Probe,
  chooseEncoder,
  h264BitrateKbps,
  keyframeIntervalFrames,
  offersSize,
  parseV4l2Formats,
  stderrReason,
} from '../../../src/capture/process/h264-encoder.js';
import { ConfigSchema, type ConfigInput } from '../../../src/config/schema.js';

const video = (input: NonNullable<ConfigInput['video']> = {}) => ConfigSchema.parse({ video: { codec: 'h264', ...input } }).video;

/** What `ffmpeg -f v4l2 -list_formats all` prints for a UVC camera with MJPEG, YUYV and H.264 (Logitech C920-like). */
const C920 = `[video4linux2,v4l2 @ 0x55d0c8a3e940] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 160x90 160x120 176x144 320x180 320x240 352x288 432x240 640x360 800x448 800x600 864x480 960x720 1024x576 1280x720 1600x896 1920x1080 2304x1296 2304x1536
[video4linux2,v4l2 @ 0x55d0c8a3e940] Compressed:        h264 :                H.264 : 640x480 160x90 160x120 176x144 320x180 320x240 352x288 432x240 640x360 800x448 800x600 864x480 960x720 1024x576 1280x720 1600x896 1920x1080
[video4linux2,v4l2 @ 0x55d0c8a3e940] Compressed:       mjpeg :          Motion-JPEG : 640x480 160x90 160x120 176x144 320x180 320x240 352x288 432x240 640x360 800x448 800x600 864x480 960x720 1024x576 1280x720 1600x896 1920x1080
/dev/video0: Immediate exit requested
`;
const MJPEG_ONLY = `[video4linux2,v4l2 @ 0x1b2c940] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 320x240
[video4linux2,v4l2 @ 0x1b2c940] Compressed:       mjpeg :          Motion-JPEG : 640x480 320x240 1280x720
`;
const STEPWISE = `[video4linux2,v4l2 @ 0x5581] Compressed:        h264 :                H.264 : {32-1920, 2}x{32-1080, 2}
`;
const NO_DEVICE = `[video4linux2,v4l2 @ 0x55828da7a940] Cannot open video device /dev/video0: No such file or directory
/dev/video0: No such file or directory
`;
const M2M_MISSING = `[h264_v4l2m2m @ 0x55b44389d3c0] Could not find a valid device
[h264_v4l2m2m @ 0x55b44389d3c0] can't configure encoder
Error initializing output stream 0:0 -- Error while opening encoder for output stream #0:0 - maybe incorrect parameters such as bit_rate, rate, width or height
`;

test('the choice: camera H.264 first, then h264_v4l2m2m, then libx264, each saying why', () => {
  assert.deepEqual(chooseEncoder({ camera: { ok: true } }), { encoder: 'camera', why: 'the camera offers H.264 at this size' });
  assert.deepEqual(chooseEncoder({ camera: { ok: false, error: 'offers mjpeg, no h264' }, v4l2m2m: { ok: true } }), {
    encoder: 'h264_v4l2m2m',
    why: 'h264_v4l2m2m works; camera: offers mjpeg, no h264',
  });
  assert.deepEqual(chooseEncoder({ v4l2m2m: { ok: true } }), { encoder: 'h264_v4l2m2m', why: 'h264_v4l2m2m works' });
  assert.deepEqual(chooseEncoder({ v4l2m2m: { ok: false, error: 'Could not find a valid device' } }), {
    encoder: 'libx264',
    why: 'h264_v4l2m2m failed: Could not find a valid device',
  });
  assert.deepEqual(chooseEncoder({ camera: { ok: false, error: 'x' }, v4l2m2m: { ok: false, error: 'y' } }), {
    encoder: 'libx264',
    why: 'h264_v4l2m2m failed: y; camera: x',
  });
  assert.equal(chooseEncoder({}).encoder, 'libx264');
});

test('v4l2 format lists: formats and sizes, discrete or stepwise', () => {
  const formats = parseV4l2Formats(C920);
  assert.deepEqual(
    formats.map((format) => [format.name, format.compressed]),
    [
      ['yuyv422', false],
      ['h264', true],
      ['mjpeg', true],
    ],
  );
  assert.ok(offersSize(formats[1]!, 1280, 720));
  assert.ok(!offersSize(formats[1]!, 2304, 1296), 'only YUYV goes that big');
  const [stepwise] = parseV4l2Formats(STEPWISE);
  assert.ok(offersSize(stepwise!, 1280, 720));
  assert.ok(!offersSize(stepwise!, 1281, 720), 'off the step');
  assert.ok(!offersSize(stepwise!, 2560, 1440), 'beyond the range');
  assert.deepEqual(parseV4l2Formats(NO_DEVICE), []);
});

test('the camera probe: H.264 at the configured size, or why not', () => {
  assert.deepEqual(cameraH264Probe(C920, { width: 1280, height: 720 }), { ok: true });
  assert.deepEqual(cameraH264Probe(MJPEG_ONLY, { width: 1280, height: 720 }), { ok: false, error: 'offers yuyv422, mjpeg, no h264' });
  const wrongSize = cameraH264Probe(C920, { width: 2304, height: 1296 });
  assert.ok(!wrongSize.ok && /offers h264 only at 640x480 .* not 2304x1296/.test(wrongSize.error), JSON.stringify(wrongSize));
  assert.deepEqual(cameraH264Probe(NO_DEVICE, { width: 640, height: 480 }), {
    ok: false,
    error: 'Cannot open video device /dev/video0: No such file or directory',
  });
});

test("stderrReason: ffmpeg's first line, the cause, without its component prefix", () => {
  assert.equal(stderrReason(M2M_MISSING), 'Could not find a valid device');
  assert.equal(stderrReason('\n\nplain line\nsecond'), 'plain line');
  assert.equal(stderrReason(''), '');
});

test('keyframe interval in frames and the derived bitrate', () => {
  assert.equal(keyframeIntervalFrames({ keyframeSeconds: 1, fps: 30 }), 30);
  assert.equal(keyframeIntervalFrames({ keyframeSeconds: 0.5, fps: 15 }), 8);
  assert.equal(keyframeIntervalFrames({ keyframeSeconds: 0.2, fps: 1 }), 1, 'at least every frame');
  assert.equal(video().bitrateKbps, null, 'the default is derived');
  assert.equal(h264BitrateKbps(video({ width: 1280, height: 720, fps: 30 })), 1382);
  assert.equal(h264BitrateKbps(video({ width: 640, height: 480, fps: 15 })), 230);
  assert.equal(h264BitrateKbps(video({ width: 160, height: 120, fps: 5 })), 100, 'clamped to the schema minimum');
  assert.equal(h264BitrateKbps(video({ width: 7680, height: 4320, fps: 120 })), 50_000, 'clamped to the schema maximum');
  assert.equal(h264BitrateKbps(video({ bitrateKbps: 3000 })), 3000, 'a configured rate is used as it is');
});

/** A probe runner that answers from canned ffmpeg output and records what it was asked to run. */
function cannedRunner(answers: { listFormats?: ProbeOutcome; v4l2m2m: ProbeOutcome }) {
  const calls: string[][] = [];
  const run = (_file: string, args: string[]): Promise<ProbeOutcome> => {
    calls.push(args);
    if (args.includes('-list_formats')) return Promise.resolve(answers.listFormats ?? { code: 1, stderr: NO_DEVICE });
    return Promise.resolve(answers.v4l2m2m);
  };
  return { run, calls };
}

test('probes run in order of preference and stop at the first that works', async () => {
  const camera = cannedRunner({ listFormats: { code: 1, stderr: C920 }, v4l2m2m: { code: 0, stderr: '' } });
  const v4l2 = video({ source: 'v4l2', device: '/dev/video2', width: 1280, height: 720, fps: 30 });
  assert.equal((await probeEncoder('ffmpeg', v4l2, camera.run)).encoder, 'camera');
  assert.deepEqual(camera.calls, [listFormatsArgs('/dev/video2')], 'no encoder probe once the camera gives H.264');

  const hardware = cannedRunner({ listFormats: { code: 1, stderr: MJPEG_ONLY }, v4l2m2m: { code: 0, stderr: '' } });
  assert.deepEqual(await probeEncoder('ffmpeg', v4l2, hardware.run), {
    encoder: 'h264_v4l2m2m',
    why: 'h264_v4l2m2m works; camera: offers yuyv422, mjpeg, no h264',
  });
  const m2mArgs = hardware.calls[1]!;
  assert.ok(m2mArgs.includes('h264_v4l2m2m') && m2mArgs.includes('testsrc2=size=1280x720:rate=30'), m2mArgs.join(' '));
  assert.deepEqual(m2mArgs.slice(m2mArgs.indexOf('-frames:v'), m2mArgs.indexOf('-frames:v') + 2), ['-frames:v', '1']);

  const software = cannedRunner({ v4l2m2m: { code: 1, stderr: M2M_MISSING } });
  assert.deepEqual(await probeEncoder('ffmpeg', video({ source: 'ffmpeg' }), software.run), {
    encoder: 'libx264',
    why: 'h264_v4l2m2m failed: Could not find a valid device',
  });
  assert.equal(software.calls.length, 1, 'no camera to list for source "ffmpeg"');
});

test('EncoderChoices probes once per ffmpeg and settings, and again when they change', async () => {
  const runner = cannedRunner({ v4l2m2m: { code: 1, stderr: M2M_MISSING } });
  const choices = new EncoderChoices(runner.run);
  const settings = video({ source: 'ffmpeg', width: 320, height: 240 });
  const first = await choices.choose('/usr/bin/ffmpeg', settings);
  const again = await Promise.all([choices.choose('/usr/bin/ffmpeg', settings), choices.choose('/usr/bin/ffmpeg', { ...settings })]);
  assert.deepEqual(again, [first, first]);
  assert.equal(runner.calls.length, 1, 'one probe for three starts');
  await choices.choose('/usr/bin/ffmpeg', { ...settings, width: 640 });
  await choices.choose('/opt/ffmpeg', settings);
  assert.equal(runner.calls.length, 3, 'a new size or another ffmpeg is probed afresh');
});
