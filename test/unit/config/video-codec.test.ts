import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigSchema } from '../../../src/config/schema.js';

const problems = (video: unknown) => {
  const result = ConfigSchema.safeParse({ video });
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

test('H.264 keys: defaults, ranges, and even sizes in H.264 mode only', () => {
  const { video } = ConfigSchema.parse({});
  assert.deepEqual([video.codec, video.bitrateKbps, video.keyframeSeconds], ['jpeg', null, 1]);
  assert.deepEqual(problems({ codec: 'h264', width: 1280, height: 720, bitrateKbps: 2500, keyframeSeconds: 0.5 }), []);
  assert.deepEqual(problems({ codec: 'h264', width: 641, height: 481 }), [
    'video.width: must be even when video.codec is "h264"',
    'video.height: must be even when video.codec is "h264"',
  ]);
  assert.deepEqual(problems({ codec: 'jpeg', width: 641, height: 481 }), [], 'JPEG takes any size');
  assert.deepEqual(problems({ codec: 'vp8' }).length, 1);
  assert.match(problems({ codec: 'h264', bitrateKbps: 99 })[0]!, /^video\.bitrateKbps: /);
  assert.match(problems({ codec: 'h264', bitrateKbps: 1500.5 })[0]!, /^video\.bitrateKbps: /);
  assert.match(problems({ codec: 'h264', keyframeSeconds: 0.1 })[0]!, /^video\.keyframeSeconds: /);
  assert.match(problems({ codec: 'h264', keyframeSeconds: 11 })[0]!, /^video\.keyframeSeconds: /);
});
