import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { ChunkKind } from '../../../src/protocol/header.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { TestViewer } from '../../helpers/ws-viewer.js';

const CAMERA = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15'];
/** Long enough after the idle stop that the kept frame of the last run would be clearly old. */
const AFTER_STOP_MS = 1500;
/** nowMicros (performance clock) and Date.now may differ a little. */
const CLOCK_SLACK_US = 50_000;

/** The X-Timestamp of the first part of /stream.mjpg, in µs; the connection is closed after it. */
function firstMjpegTimestampUs(daemon: RunningDaemon): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${daemon.baseUrl}/stream.mjpg`, (res) => {
      let head = '';
      res.setEncoding('latin1');
      res.on('data', (text: string) => {
        head += text;
        const match = /X-Timestamp: ([\d.]+)\r\n/.exec(head);
        if (match) {
          req.destroy();
          resolve(Math.round(Number(match[1]) * 1e6));
        } else if (head.length > 1_000_000) {
          req.destroy();
          reject(new Error('no X-Timestamp in the first MiB'));
        }
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no MJPEG part within 30 s')));
    req.on('error', reject);
    req.end();
  });
}

async function idleStop(daemon: RunningDaemon, count: number): Promise<number> {
  await daemon.waitForLog(() => daemon.logLines().filter((line) => line.msg === 'no viewers: capture stopped').length >= count, 15_000);
  const stoppedAtUs = Date.now() * 1000;
  await new Promise((resolve) => setTimeout(resolve, AFTER_STOP_MS));
  return stoppedAtUs;
}

test('after capture idled, a new WebSocket or MJPEG viewer gets a picture of the new run, never the last one of the old', async () => {
  const daemon = await startDaemon({
    config: { video: { source: 'ffmpeg', input: CAMERA, width: 320, height: 240, idleSeconds: 1 }, audio: { enabled: false } },
  });
  try {
    const first = new TestViewer(daemon.wsUrl);
    await first.waitFor(() => first.of(ChunkKind.Jpeg).length >= 3, 30_000, 'frames of the first run');
    first.close();

    let stoppedAtUs = await idleStop(daemon, 1);
    const askedAtUs = Date.now() * 1000;
    const second = new TestViewer(daemon.wsUrl);
    await second.waitFor(() => second.of(ChunkKind.Jpeg).length >= 1, 30_000, 'a frame of the second run');
    const wsFirst = second.of(ChunkKind.Jpeg)[0]!.captureTimeUs;
    second.close();
    assert.ok(wsFirst > stoppedAtUs, `the first WebSocket picture is from before the idle stop (${(stoppedAtUs - wsFirst) / 1000} ms)`);
    assert.ok(
      wsFirst >= askedAtUs - CLOCK_SLACK_US,
      `the first WebSocket picture is ${(askedAtUs - wsFirst) / 1000} ms older than the request`,
    );

    stoppedAtUs = await idleStop(daemon, 2);
    const grabbedAtUs = Date.now() * 1000;
    const mjpegFirst = await firstMjpegTimestampUs(daemon);
    assert.ok(mjpegFirst > stoppedAtUs, `the first MJPEG picture is from before the idle stop (${(stoppedAtUs - mjpegFirst) / 1000} ms)`);
    assert.ok(
      mjpegFirst >= grabbedAtUs - CLOCK_SLACK_US,
      `the first MJPEG picture is ${(grabbedAtUs - mjpegFirst) / 1000} ms older than the request`,
    );
  } finally {
    await daemon.stop();
  }
});
