import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../../helpers/daemon.js';

// Port 1 on 127.0.0.1 is closed: ffmpeg fails to connect and prints the URL it was given in its errors.
const CAMERA_URL = 'rtsp://admin:se@cret@127.0.0.1:1/stream1';
const MIC_URL = 'http://127.0.0.1:1/snapshot.cgi?user=admin&pwd=s3cr3tq&channel=1';
const SECRET_PIECES = ['se@cret', 'cret@', 'admin', 's3cr3tq'];

test('credentials in capture URLs never reach the log: not in ffmpeg stderr, the args line or /healthz', async () => {
  const daemon = await startDaemon({
    config: {
      video: { source: 'ffmpeg', input: ['-rtsp_transport', 'tcp', '-i', CAMERA_URL], idleSeconds: 0 },
      audio: { source: 'ffmpeg', input: ['-i', MIC_URL] },
      log: { level: 'debug' },
    },
  });
  try {
    const refused = (url: string) => (line: Record<string, unknown>) =>
      typeof line.msg === 'string' && line.msg.startsWith(`ffmpeg: ${url}`);
    await daemon.waitForLog(refused('rtsp://[redacted]@127.0.0.1:1/stream1: Connection refused'), 20_000);
    await daemon.waitForLog(refused('http://127.0.0.1:1/snapshot.cgi?user=[redacted]&pwd=[redacted]&channel=1'), 20_000);
    const spawned = daemon.logLines().filter((line) => line.msg === 'ffmpeg spawned');
    assert.ok(spawned.length >= 2, 'the args lines are logged at debug level');
    assert.ok(JSON.stringify(spawned).includes('rtsp://[redacted]@127.0.0.1:1/stream1'));
    const health = await (await fetch(`${daemon.baseUrl}/healthz`)).text();
    for (const piece of SECRET_PIECES) assert.ok(!health.includes(piece), `${piece} in /healthz: ${health}`);
  } finally {
    await daemon.stop();
  }
  const leaked = daemon
    .output()
    .split('\n')
    .filter((line) => SECRET_PIECES.some((piece) => line.includes(piece)));
  assert.deepEqual(leaked, []);
});
