import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'node:test';
import { listeningUrl, viewerUrl, type HostFacts } from '../../src/viewer-url.js';

const lan: NetworkInterfaceInfo = {
  address: '192.0.2.7',
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:01',
  internal: false,
  cidr: null,
};
const loopback: NetworkInterfaceInfo = { ...lan, address: '127.0.0.1', internal: true };
const facts = (list: () => NodeJS.Dict<NetworkInterfaceInfo[]>): HostFacts => ({ networkInterfaces: list, hostname: () => 'camera-board' });
const at = (address: string, family = 'IPv4'): AddressInfo => ({ address, family, port: 8080 });

test('a specific listen address is the URL host, without looking at interfaces', () => {
  const untouched = facts(() => {
    throw new Error('must not be called');
  });
  assert.deepEqual(viewerUrl('http', at('127.0.0.1'), 'abc', untouched), { url: 'http://127.0.0.1:8080/?token=abc' });
  assert.deepEqual(viewerUrl('https', at('fe80::1', 'IPv6'), 'abc', untouched), { url: 'https://[fe80::1]:8080/?token=abc' });
});

test('a wildcard shows the first non-internal IPv4 address, else the hostname', () => {
  assert.equal(
    viewerUrl(
      'http',
      at('0.0.0.0'),
      't',
      facts(() => ({ lo: [loopback], eth0: [lan] })),
    ).url,
    'http://192.0.2.7:8080/?token=t',
  );
  assert.equal(
    viewerUrl(
      'http',
      at('::', 'IPv6'),
      't',
      facts(() => ({ lo: [loopback] })),
    ).url,
    'http://camera-board:8080/?token=t',
  );
});

test('interfaces that cannot be listed give the hostname and a problem to log, never an exception', () => {
  const denied = facts(() => {
    throw new Error('A system error occurred: uv_interface_addresses returned Unknown system error 97');
  });
  const shown = viewerUrl('http', at('0.0.0.0'), 't', denied);
  assert.equal(shown.url, 'http://camera-board:8080/?token=t');
  assert.match(shown.problem ?? '', /cannot list network interfaces .*error 97/);
});

test('the listening URL brackets IPv6', () => {
  assert.equal(listeningUrl('http', at('::', 'IPv6')), 'http://[::]:8080/');
  assert.equal(listeningUrl('https', at('0.0.0.0')), 'https://0.0.0.0:8080/');
});
