import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { resolveFfmpeg } from '../../../src/capture/process/ffmpeg-path.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { childPids } from './proc-children.js';

interface Health {
  status: string;
  reason?: string;
  capture: string;
  viewers: number;
  lastRun?: { video: { state: string; reason?: string } };
}

async function health(daemon: RunningDaemon): Promise<{ code: number; body: Health }> {
  const response = await fetch(`${daemon.baseUrl}/healthz`);
  return { code: response.status, body: (await response.json()) as Health };
}

/** The daemon logs every state change of capture, so the log is the event to await; the answer is read after it. */
const logged = (daemon: RunningDaemon, msg: string) => daemon.waitForLog((line) => line.msg === msg, 30_000);

test('a camera that cannot deliver, nobody watching: 503 with the reason, and capture keeps trying', async () => {
  const daemon = await startDaemon({ config: { video: { source: 'command', command: ['false'] }, audio: { enabled: false } } });
  try {
    await daemon.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('false exited with code 1'), 30_000);
    const { code, body } = await health(daemon);
    assert.equal(code, 503);
    assert.equal(body.status, 'down');
    assert.equal(body.reason, 'camera: false exited with code 1 (no frame since start)');
    assert.equal(body.viewers, 0);
    assert.equal(body.capture, 'running', 'capture is held until a first frame comes');
  } finally {
    await daemon.stop();
  }
});

test('a working camera, nobody watching: captured once until the first frame, then idle and 200 with the last run', async () => {
  const ffmpeg = await resolveFfmpeg(null);
  assert.ok(ffmpeg.ok);
  const input = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10'];
  const daemon = await startDaemon({
    config: { video: { source: 'ffmpeg', input, width: 160, height: 120, idleSeconds: 1 }, audio: { enabled: false } },
  });
  try {
    await logged(daemon, 'camera delivers: capture now runs on demand');
    await logged(daemon, 'no viewers: capture stopped');
    await logged(daemon, 'ffmpeg exited');
    assert.deepEqual(childPids(daemon.child.pid!, 'ffmpeg'), []);
    const { code, body } = await health(daemon);
    assert.equal(code, 200);
    assert.equal(body.status, 'ok');
    assert.equal(body.capture, 'idle');
    assert.equal(body.lastRun?.video.state, 'running');
  } finally {
    await daemon.stop();
  }
});

test('a camera that delivered, then failed before capture went idle: 503 with the reason of the last run', async (t) => {
  const ffmpeg = await resolveFfmpeg(null);
  assert.ok(ffmpeg.ok);
  const dir = await mkdtemp(path.join(tmpdir(), 'wscam-unplugged-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const camera = path.join(dir, 'camera');
  // First run: a few real frames, then the end of the stream; every later run: the camera is gone.
  await writeFile(
    camera,
    `#!/bin/sh
if [ -e "$0.ran" ]; then echo 'camera unplugged' >&2; exit 1; fi
touch "$0.ran"
exec '${ffmpeg.path}' -hide_banner -nostdin -loglevel error -re -f lavfi -i testsrc2=size=160x120:rate=10 -frames:v 3 -c:v mjpeg -f mjpeg -
`,
  );
  await chmod(camera, 0o755);
  const daemon = await startDaemon({
    config: { video: { source: 'command', command: [camera], width: 160, height: 120, idleSeconds: 3 }, audio: { enabled: false } },
  });
  try {
    await logged(daemon, 'camera delivers: capture now runs on demand');
    await logged(daemon, 'no viewers: capture stopped');
    const { code, body } = await health(daemon);
    assert.equal(code, 503);
    assert.equal(body.capture, 'idle');
    assert.match(String(body.reason), /^camera: camera exited with code \d+.* \(when capture last ran\)$/);
    assert.ok(body.lastRun?.video.reason, 'the last run says why');
  } finally {
    await daemon.stop();
  }
});
