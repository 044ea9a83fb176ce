import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { TestViewer } from '../../helpers/ws-viewer.js';
import { watchdogIntervalMs } from '../../../src/daemon/service-notifier.js';
import { NotifyReceiver } from './notify-receiver.js';

const SMALL = { video: { width: 160, height: 120 } };

function loadsKoffi(pid: number): boolean {
  return readFileSync(`/proc/${pid}/maps`, 'utf8').includes('koffi');
}

describe('sd_notify on a real NOTIFY_SOCKET', () => {
  let receiver: NotifyReceiver;
  let daemon: RunningDaemon;
  before(async () => {
    receiver = await NotifyReceiver.start();
    // 400 ms watchdog: a ping every 200 ms
    daemon = await startDaemon({ config: SMALL, env: { NOTIFY_SOCKET: receiver.path, WATCHDOG_USEC: '400000' } });
  });
  after(async () => {
    await daemon.stop();
    receiver.stop();
  });

  test('READY=1 with a STATUS line comes once the port answers, from the daemon process itself', async () => {
    const ready = await receiver.waitFor((m) => m.message.startsWith('READY=1'), 15000, 'READY=1');
    assert.match(ready.message, /^READY=1\nSTATUS=0 viewers; camera \w+; microphone \w+/);
    assert.equal(ready.pid, daemon.child.pid, 'sent by the main process, so NotifyAccess=main attributes it');
    const health = await fetch(`${daemon.baseUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.ok(loadsKoffi(daemon.child.pid!), 'the FFI is loaded under systemd');
  });

  test('WATCHDOG=1 keeps coming from the event loop while WATCHDOG_USEC is set', async () => {
    const before = receiver.messages.filter((m) => m.message === 'WATCHDOG=1').length;
    await receiver.waitForCount((m) => m.message === 'WATCHDOG=1', before + 3, 15000, 'WATCHDOG=1');
    assert.ok(receiver.messages.every((m) => m.pid === daemon.child.pid));
  });

  test('STATUS changes with the viewers and is not repeated while nothing changes', async () => {
    const viewer = new TestViewer(daemon.wsUrl);
    await receiver.waitFor((m) => /^STATUS=1 viewer; camera running/.test(m.message), 15000, 'STATUS with one viewer');
    viewer.close();
    await viewer.closed;
    const back = await receiver.waitFor(
      (m) => m.message.startsWith('STATUS=0 viewers') && !m.message.startsWith('READY'),
      15000,
      'STATUS with no viewer',
    );
    const statuses = receiver.messages.filter((m) => m.message.includes('STATUS=')).map((m) => m.message.replace(/^READY=1\n/, ''));
    for (let i = 1; i < statuses.length; i += 1) assert.notEqual(statuses[i], statuses[i - 1], 'each STATUS differs from the one before');
    assert.ok(back);
  });

  test('SIGTERM sends STOPPING=1 and the daemon exits 0', async () => {
    const exited = await daemon.stop();
    assert.deepEqual(exited, { code: 0, signal: null });
    const stopping = await receiver.waitFor((m) => m.message === 'STOPPING=1', 5000, 'STOPPING=1');
    assert.equal(stopping.pid, daemon.child.pid);
    const afterStopping = receiver.messages.slice(receiver.messages.indexOf(stopping) + 1);
    assert.deepEqual(
      afterStopping.filter((m) => m.message === 'WATCHDOG=1'),
      [],
      'the watchdog stops with STOPPING=1',
    );
  });
});

test('WATCHDOG=1 comes from the event loop: while the loop is blocked no ping goes out, after it they resume', async () => {
  const receiver = await NotifyReceiver.start();
  const preload = fileURLToPath(new URL('./block-loop-on-sigwinch.js', import.meta.url));
  const blockMs = 1500;
  // a ping every 50 ms
  const daemon = await startDaemon({
    config: SMALL,
    env: { NOTIFY_SOCKET: receiver.path, WATCHDOG_USEC: '100000', NODE_OPTIONS: `--import=${preload}`, BLOCK_LOOP_MS: String(blockMs) },
  });
  const pings = () => receiver.messages.filter((m) => m.message === 'WATCHDOG=1');
  try {
    await receiver.waitForCount((m) => m.message === 'WATCHDOG=1', 3, 15000, 'WATCHDOG=1');
    const before = pings().length;
    daemon.child.kill('SIGWINCH');
    await receiver.waitForCount((m) => m.message === 'WATCHDOG=1', before + 3, 15000, 'WATCHDOG=1 after the block');
    const times = pings().map((m) => m.at);
    const longestGapMs = Math.max(...times.slice(1).map((at, i) => (at - times[i]!) * 1000));
    // a pinger outside the event loop (a thread, a child) would have kept its 50 ms pace through the block
    assert.ok(longestGapMs >= blockMs * 0.8, `longest gap between pings ${Math.round(longestGapMs)} ms`);
  } finally {
    await daemon.stop();
    receiver.stop();
  }
});

test('outside systemd nothing is sent and koffi is never loaded', async () => {
  const daemon = await startDaemon({ config: SMALL, env: { NOTIFY_SOCKET: '', WATCHDOG_USEC: '' } });
  try {
    assert.equal(loadsKoffi(daemon.child.pid!), false);
    assert.equal((await fetch(`${daemon.baseUrl}/healthz`)).status, 200);
  } finally {
    assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  }
});

test('a NOTIFY_SOCKET nobody listens on is logged once and the daemon serves on', async () => {
  // nobody bound this path; the watchdog tries every 50 ms
  const absent = join(mkdtempSync(join(tmpdir(), 'wscam-notify-')), 'absent.sock');
  const daemon = await startDaemon({ config: SMALL, env: { NOTIFY_SOCKET: absent, WATCHDOG_USEC: '100000' } });
  try {
    await daemon.waitForLog((line) => line.msg === 'sd_notify failed (logged once)');
    const viewer = new TestViewer(daemon.wsUrl);
    await viewer.waitFor(() => viewer.chunks.length >= 3, 15000, 'frames despite the failing notify socket');
    viewer.close();
    await viewer.closed;
    assert.equal(daemon.logLines().filter((line) => line.msg === 'sd_notify failed (logged once)').length, 1);
  } finally {
    assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  }
});

test('the watchdog interval is half of WATCHDOG_USEC, and only for the process WATCHDOG_PID names', () => {
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '20000000' }), 10000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: String(process.pid) }), 10000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: String(process.pid + 1) }), undefined);
  assert.equal(watchdogIntervalMs({}), undefined);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }), undefined);
});
