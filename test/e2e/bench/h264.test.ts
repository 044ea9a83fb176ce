import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { runBench } from '../../helpers/bench.js';
import type { H264Report } from '../../../bench/h264/profile.js';

/**
 * A few seconds of `npm run bench -- --codec h264` at a tiny size, so the profile cannot rot.
 * Asserts the report's shape, that SSIM compared the right frames and that every part ran;
 * never speed or the targets (the machine is shared; targets live in the bench).
 */

const HAS_CHROMIUM = existsSync('/usr/bin/chromium');
const SHORT_RUN = [
  ...['--codec', 'h264', '--size', '160x120', '--fps', '10', '--seconds', '2', '--warmup', '0'],
  ...['--clients', '2', '--reference-seconds', '2', '--stall-seconds', '3'],
  ...(HAS_CHROMIUM ? [] : ['--no-browser']),
];
const RUN_TIMEOUT_MS = 300_000;

test('a short H.264 bench run measures both codecs against the source and lists the targets', async () => {
  const { stdout, report } = await runBench<H264Report>(SHORT_RUN, RUN_TIMEOUT_MS);
  for (const reference of [report.reference.mjpeg, report.reference.h264]) {
    assert.ok(reference.bytesPerSecond > 0, `${reference.encoding.codec}: bytes`);
    assert.equal(reference.ssim.frames, 20, `${reference.encoding.codec}: every frame of the clip compared`);
    assert.ok(reference.ssim.all > 0 && reference.ssim.all <= 1, `${reference.encoding.codec}: SSIM`);
  }
  assert.ok(report.reference.equalSsim && report.reference.equalSsim.steps.length > 0, 'the equal-SSIM search ran');
  for (const run of [report.daemon.jpeg, report.daemon.h264]) {
    assert.ok(run.bytesPerViewerPerSecond.min > 0, `${run.codec}: every viewer got bytes`);
    assert.ok(run.cpu.encoderProcesses >= 1, `${run.codec}: the encoder child was found`);
    assert.ok(Number.isFinite(run.cpu.totalPerSecond), `${run.codec}: CPU`);
    assert.ok(!('error' in run.ssim), `${run.codec}: SSIM of what a viewer received`);
    if ('error' in run.ssim) continue;
    assert.ok(run.ssim.frames > 0, `${run.codec}: frames compared`);
    // Frame i of the recording is source frame first + i: the neighbours must match worse.
    assert.ok(run.ssim.alignment.ok, `${run.codec}: aligned (${JSON.stringify(run.ssim.alignment)})`);
    assert.equal(run.firstChunkMs.allKeyframes, true, `${run.codec}: a new viewer starts at a keyframe`);
  }
  assert.equal(report.daemon.jpeg.servedCodec, 'jpeg');
  if (HAS_CHROMIUM) {
    const jpegPage = report.daemon.jpeg.browser.paths.find((result) => result.path === 'jpeg');
    assert.ok(jpegPage?.latencyMs && jpegPage.latencyMs.count > 0, `the JPEG page's latency was sampled: ${JSON.stringify(jpegPage)}`);
    assert.deepEqual(
      report.daemon.h264.browser.paths.map((result) => result.path),
      ['webcodecs', 'mse', 'jpeg'],
    );
  }
  assert.equal(report.targets.length, 6);
  for (const target of report.targets) assert.ok(target.met === null || typeof target.met === 'boolean', target.target);
  assert.match(stdout, /^targets \(#12\):$/m);
});
