import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { IGNORED_SIGNALS } from '../../../src/daemon/signals.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { startDaemon } from '../../helpers/daemon.js';
import { TestViewer } from '../../helpers/ws-viewer.js';

test('SIGUSR2, SIGUSR1 and every other stray signal are logged and ignored: viewers keep watching, no inspector opens', async () => {
  const daemon = await startDaemon({ config: { video: { width: 160, height: 120 } } });
  const viewer = new TestViewer(daemon.wsUrl);
  try {
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= 1, 15000, 'first frame');
    for (const signal of IGNORED_SIGNALS) {
      daemon.child.kill(signal);
      await daemon.waitForLog((line) => line.msg === 'signal ignored' && line.signal === signal);
    }
    const before = viewer.chunks.length;
    await viewer.waitFor(() => viewer.chunks.length >= before + 5, 15000, 'media after the signals');
    assert.equal(viewer.closeCode, undefined);
    assert.equal((await fetch(`${daemon.baseUrl}/healthz`)).status, 200);
    assert.doesNotMatch(daemon.output(), /Debugger listening/, 'SIGUSR1 must not open the inspector');
  } finally {
    const [exit, closed] = await Promise.all([daemon.stop(), viewer.closed]);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(closed.code, 1001);
  }
});

test('a flood of one stray signal is one log line, and a second SIGTERM does not cut the clean stop short', async () => {
  const daemon = await startDaemon({ config: { video: { width: 160, height: 120 } } });
  // Pending signals are delivered lowest number first, so each marker (numbered above SIGUSR2's 12)
  // is logged only after that round's SIGUSR2 was handled: every round is one more delivery.
  const markers = IGNORED_SIGNALS.filter((signal) => os.constants.signals[signal] > os.constants.signals.SIGUSR2);
  assert.ok(markers.length >= 5);
  for (const marker of markers) {
    daemon.child.kill('SIGUSR2');
    daemon.child.kill(marker);
    await daemon.waitForLog((line) => line.msg === 'signal ignored' && line.signal === marker);
  }
  assert.equal(daemon.logLines().filter((line) => line.signal === 'SIGUSR2').length, 1, `${markers.length} SIGUSR2, one line`);
  daemon.child.kill('SIGTERM');
  daemon.child.kill('SIGTERM');
  assert.deepEqual(await daemon.exited, { code: 0, signal: null });
  assert.ok(daemon.logLines().some((line) => line.msg === 'stopped'));
});
