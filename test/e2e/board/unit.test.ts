import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { packagePath } from '../../../src/package-root.js';

const UNIT = packagePath('systemd', 'wscam.service');
const text = readFileSync(UNIT, 'utf8');

/** Every value of a key in the unit, in order (keys may repeat, e.g. DeviceAllow=). */
function values(key: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

const hasSystemdAnalyze = spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0;

describe('systemd/wscam.service', () => {
  test('is Type=notify with a watchdog, notifications from the main process only, and reload by SIGHUP', () => {
    assert.deepEqual(values('Type'), ['notify']);
    assert.deepEqual(values('NotifyAccess'), ['main']);
    assert.match(values('WatchdogSec')[0] ?? '', /^\d+$/);
    assert.deepEqual(values('ExecReload'), ['/bin/kill -HUP $MAINPID']);
  });

  test('runs the installed daemon with an absolute node path (install.sh replaces it) and does not restart on a bad config', () => {
    assert.match(values('ExecStart')[0] ?? '', /^\/\S+\/node \/opt\/wscam\/dist\/main\.js --config \/etc\/wscam\/config\.json$/);
    assert.deepEqual(values('RestartPreventExitStatus'), ['2']);
  });

  test('allows netlink (the viewer URL lists interfaces), video, sound and libcamera devices, and never breaks the JIT or the device groups', () => {
    assert.ok(values('RestrictAddressFamilies')[0]?.split(' ').includes('AF_NETLINK'));
    assert.deepEqual(values('DeviceAllow'), ['char-video4linux rw', 'char-alsa rw', 'char-media rw', 'char-dma_heap rw']);
    assert.deepEqual(values('MemoryDenyWriteExecute'), []);
    assert.deepEqual(values('PrivateUsers'), []);
  });

  test('names documentation that install.sh copies', () => {
    assert.deepEqual(values('Documentation'), ['file:///opt/wscam/README.md']);
    assert.match(readFileSync(packagePath('scripts', 'install.sh'), 'utf8'), /README\.md/);
  });

  test(
    'passes systemd-analyze verify and scores at most 2.0 in systemd-analyze security',
    { skip: !hasSystemdAnalyze && 'no systemd-analyze here (CI installs it)' },
    () => {
      const verify = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(verify.status, 0, verify.stderr);
      // --threshold is on systemd's 0..100 scale: 20 is the 2.0 that the table prints.
      const security = spawnSync('systemd-analyze', ['security', '--offline=yes', '--threshold=20', UNIT], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(
        security.status,
        0,
        security.stdout
          .split('\n')
          .filter((line) => line.includes('Overall'))
          .join('\n'),
      );
    },
  );
});
