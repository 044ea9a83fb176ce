import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { startDaemon } from '../../helpers/daemon.js';
import { pythonHelper } from './notify-receiver.js';

// The shipped unit's RestrictAddressFamilies= forbids netlink, so os.networkInterfaces() throws there.
test('with netlink refused by a seccomp filter, the first run serves and logs a viewer URL naming the hostname', async () => {
  const daemon = await startDaemon({
    config: { video: { width: 160, height: 120 }, auth: { disabled: false } },
    // a wildcard listen address is what makes the daemon look for a LAN address to show
    args: ['--host', '0.0.0.0'],
    wrapper: ['python3', pythonHelper('without-netlink.py')],
  });
  try {
    const warning = await daemon.waitForLog((line) => String(line.msg).startsWith('cannot list network interfaces'));
    assert.match(String(warning.msg), /uv_interface_addresses returned Unknown system error 97/, 'the real EAFNOSUPPORT, not a stand-in');
    const line = await daemon.waitForLog((entry) => entry.msg === 'open the viewer');
    const url = new URL(String(line.viewerUrl));
    assert.equal(url.hostname, hostname());
    assert.equal(Number(url.port), daemon.port);
    const token = url.searchParams.get('token');
    assert.match(token ?? '', /^[0-9a-f]{32}$/);
    const session = await fetch(`${daemon.baseUrl}/api/session${url.search}`);
    assert.equal(session.status, 200, 'the token in the logged URL opens the viewer');
    assert.equal(((await session.json()) as { kind: string }).kind, 'token');
    assert.equal((await fetch(`${daemon.baseUrl}/healthz`)).status, 200);
  } finally {
    assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  }
});
