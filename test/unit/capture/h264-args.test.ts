import assert from 'node:assert/strict';
import { test } from 'node:test';
import { h264EncodeArgs, h264VideoArgs, jpegTranscodeArgs } from '../../../src/capture/process/ffmpeg-args.js';
import { ConfigSchema, type ConfigInput } from '../../../src/config/schema.js';

const video = (input: NonNullable<ConfigInput['video']>) => ConfigSchema.parse({ video: { codec: 'h264', ...input } }).video;
const after = (args: string[], flag: string, from = 0) => args[args.indexOf(flag, from) + 1];
/** The arguments of one output: from its -map to its pipe. */
const output = (args: string[], pipe: string) => {
  const end = args.indexOf(pipe);
  return args.slice(args.lastIndexOf('-map', end), end + 1);
};

test('libx264: ultrafast/zerolatency, 4:2:0, no B-frames, fixed GOP from keyframeSeconds, SPS/PPS repeated, capped rate', () => {
  const args = h264EncodeArgs(video({ width: 1280, height: 720, fps: 30, keyframeSeconds: 2, bitrateKbps: 1500 }), 'libx264');
  assert.deepEqual(
    [after(args, '-c:v'), after(args, '-preset'), after(args, '-tune'), after(args, '-pix_fmt'), after(args, '-bf')],
    ['libx264', 'ultrafast', 'zerolatency', 'yuv420p', '0'],
  );
  assert.deepEqual([after(args, '-g'), after(args, '-keyint_min'), after(args, '-sc_threshold')], ['60', '60', '0']);
  assert.deepEqual([after(args, '-b:v'), after(args, '-maxrate'), after(args, '-bufsize')], ['1500k', '1500k', '1500k']);
  assert.equal(after(args, '-x264-params'), 'repeat-headers=1');
});

test('h264_v4l2m2m: the same GOP, rate and no B-frames, SPS/PPS from extradata before every keyframe', () => {
  const args = h264EncodeArgs(video({ fps: 15 }), 'h264_v4l2m2m');
  assert.deepEqual([after(args, '-c:v'), after(args, '-g'), after(args, '-bf'), after(args, '-b:v')], ['h264_v4l2m2m', '15', '0', '230k']);
  assert.equal(after(args, '-bsf:v'), 'dump_extra=freq=keyframe');
});

test('one child, two outputs: JPEGs on pipe:3, H.264 last on pipe:1, flushed per packet, for every input layout', () => {
  const camera = h264VideoArgs(video({ source: 'v4l2', device: '/dev/video4' }), 'camera', 'mjpeg');
  assert.equal(after(camera, '-input_format'), 'h264', "the camera's H.264 is asked for whatever the JPEG format");
  assert.deepEqual(output(camera, 'pipe:1').slice(0, 4), ['-map', '0:v:0', '-c:v', 'copy']);
  assert.equal(after(output(camera, 'pipe:3'), '-c:v'), 'mjpeg');

  const jpegCamera = h264VideoArgs(video({ source: 'v4l2' }), 'libx264', 'mjpeg');
  assert.equal(after(jpegCamera, '-input_format'), 'mjpeg');
  assert.deepEqual(output(jpegCamera, 'pipe:3').slice(0, 4), ['-map', '0:v:0', '-c:v', 'copy']);
  assert.equal(after(output(jpegCamera, 'pipe:1'), '-c:v'), 'libx264');

  const yuyv = h264VideoArgs(video({ source: 'v4l2' }), 'h264_v4l2m2m', 'yuyv422');
  assert.equal(after(yuyv, '-input_format'), 'yuyv422');
  assert.equal(after(output(yuyv, 'pipe:3'), '-c:v'), 'mjpeg');
  assert.equal(after(output(yuyv, 'pipe:1'), '-c:v'), 'h264_v4l2m2m');

  const lavfi = h264VideoArgs(video({ source: 'ffmpeg', width: 320, height: 240, fps: 10 }), 'libx264', 'mjpeg');
  assert.deepEqual(lavfi.slice(lavfi.indexOf('-re'), lavfi.indexOf('-re') + 5), [
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x480:rate=15',
  ]);
  assert.equal(after(lavfi, '-filter_complex'), '[0:v:0]scale=320:240,fps=10,split=2[jpeg][h264]', 'scaled once for both');
  const test = h264VideoArgs(video({ source: 'test', width: 320, height: 240, fps: 10 }), 'libx264', 'mjpeg');
  assert.equal(after(test, '-i'), 'testsrc2=size=320x240:rate=10', "ffmpeg's test picture at the configured size");

  for (const args of [camera, jpegCamera, yuyv, lavfi, test]) {
    assert.equal(args.at(-1), 'pipe:1', 'the primary output comes last');
    assert.deepEqual(output(args, 'pipe:3').slice(-5), ['-flush_packets', '1', '-f', 'mjpeg', 'pipe:3']);
    assert.deepEqual(output(args, 'pipe:1').slice(-5), ['-flush_packets', '1', '-f', 'h264', 'pipe:1']);
  }
});

test('the JPEG transcoder: H.264 from stdin without probing, every picture to one JPEG at the quality', () => {
  const args = jpegTranscodeArgs(video({ quality: 80 }));
  assert.deepEqual(args.slice(args.indexOf('-f'), args.indexOf('-f') + 4), ['-f', 'h264', '-i', 'pipe:0']);
  assert.deepEqual([after(args, '-analyzeduration'), after(args, '-vsync'), after(args, '-q:v')], ['0', 'passthrough', '8']);
  assert.deepEqual(args.slice(-3), ['-f', 'mjpeg', 'pipe:1']);
});
