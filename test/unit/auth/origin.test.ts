import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOriginAllowed, normaliseOrigin } from '../../../src/auth/origin.js';

describe('origin rule', () => {
  it('allows the page’s own scheme and host', () => {
    assert.equal(isOriginAllowed('http://cam.local:8080', 'cam.local:8080', 'http', []), true);
    assert.equal(isOriginAllowed('https://cam.local', 'cam.local', 'https', []), true);
    assert.equal(isOriginAllowed('http://[::1]:8080', '[::1]:8080', 'http', []), true);
    assert.equal(isOriginAllowed('http://192.168.1.5:8080', '192.168.1.5:8080', 'http', []), true);
  });

  it('compares the host case-insensitively and normalises default ports', () => {
    assert.equal(isOriginAllowed('http://CAM.Local:8080', 'cam.local:8080', 'http', []), true);
    assert.equal(isOriginAllowed('HTTP://cam.local', 'Cam.Local:80', 'http', []), true);
    assert.equal(isOriginAllowed('https://cam.local:443', 'cam.local', 'https', []), true);
    assert.equal(isOriginAllowed('https://cam.local', 'cam.local:443', 'https', []), true);
  });

  it('refuses another port, another host, another scheme', () => {
    assert.equal(isOriginAllowed('http://cam.local:8081', 'cam.local:8080', 'http', []), false);
    assert.equal(isOriginAllowed('http://evil.example:8080', 'cam.local:8080', 'http', []), false);
    assert.equal(isOriginAllowed('http://cam.local', 'cam.local', 'https', []), false);
    assert.equal(isOriginAllowed('https://cam.local', 'cam.local', 'http', []), false);
    assert.equal(isOriginAllowed('http://cam.local:80', 'cam.local:443', 'https', []), false);
  });

  it('refuses a missing, empty, "null" or malformed Origin', () => {
    for (const origin of [
      undefined,
      '',
      'null',
      'cam.local:8080',
      'http://cam.local:8080/',
      'http://cam.local:8080/path',
      'http://user@cam.local:8080',
      'ws://cam.local:8080',
      'http://cam.local:99999',
      ['http://cam.local:8080'],
      'http://',
      'http://:8080',
    ]) {
      assert.equal(isOriginAllowed(origin as string | undefined, 'cam.local:8080', 'http', []), false, String(origin));
    }
  });

  it('refuses when the Host header is missing or odd, unless the Origin is listed', () => {
    assert.equal(isOriginAllowed('http://cam.local', undefined, 'http', []), false);
    assert.equal(isOriginAllowed('http://cam.local', 'evil@cam.local', 'http', []), false);
    assert.equal(isOriginAllowed('http://cam.local', undefined, 'http', ['http://cam.local']), true);
  });

  it('allows exactly a listed origin, nothing merely similar', () => {
    const allowed = ['https://viewer.example.com', 'http://10.0.0.2:3000'];
    assert.equal(isOriginAllowed('https://viewer.example.com', 'cam.local:8080', 'http', allowed), true);
    assert.equal(isOriginAllowed('https://viewer.example.com:443', 'cam.local:8080', 'http', allowed), true);
    assert.equal(isOriginAllowed('http://10.0.0.2:3000', 'cam.local:8080', 'http', allowed), true);
    for (const origin of [
      'https://viewer.example.com.evil.net',
      'https://evil.viewer.example.com',
      'http://viewer.example.com',
      'http://10.0.0.2:3001',
      'https://viewer.example.co',
    ]) {
      assert.equal(isOriginAllowed(origin, 'cam.local:8080', 'http', allowed), false, origin);
    }
  });

  it('normalises origins', () => {
    assert.equal(normaliseOrigin('HTTPS://Example.COM:443'), 'https://example.com');
    assert.equal(normaliseOrigin('http://example.com:0080'), 'http://example.com');
    assert.equal(normaliseOrigin('http://example.com:8080'), 'http://example.com:8080');
    assert.equal(normaliseOrigin('http://example.com/'), undefined);
  });
});
