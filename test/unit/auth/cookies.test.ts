import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clearedSessionCookie, cookieValues, sessionCookie } from '../../../src/auth/cookies.js';

describe('cookies', () => {
  it('finds every value of a name and survives malformed headers', () => {
    assert.deepEqual(cookieValues('a=1; wscam_session=abc; b=2', 'wscam_session'), ['abc']);
    assert.deepEqual(cookieValues('wscam_session=x;wscam_session="y"', 'wscam_session'), ['x', 'y']);
    assert.deepEqual(cookieValues(['a=1', 'wscam_session=z'], 'wscam_session'), ['z']);
    for (const header of [undefined, '', ';;;', '=', 'wscam_session', 'x'.repeat(9000), 'wscam_session==;=;', '\u0000\uffff']) {
      assert.doesNotThrow(() => cookieValues(header, 'wscam_session'));
    }
    assert.deepEqual(cookieValues('wscam_sessionX=1; Xwscam_session=2', 'wscam_session'), []);
  });

  it('sets HttpOnly, SameSite=Strict, Path=/, Max-Age, and Secure only under TLS', () => {
    assert.equal(sessionCookie('v', 604800, { secure: false }), 'wscam_session=v; Max-Age=604800; Path=/; HttpOnly; SameSite=Strict');
    assert.match(sessionCookie('v', 1, { secure: true }), /; Secure$/);
    assert.match(clearedSessionCookie({ secure: false }), /^wscam_session=; Max-Age=0; .*HttpOnly; SameSite=Strict$/);
  });
});
