import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientKey, LoginThrottle } from '../../../src/auth/login-throttle.js';

function throttle(options: { maxEntries?: number } = {}) {
  const clock = { now: 1_000_000 };
  return { limiter: new LoginThrottle({ now: () => clock.now, ...options }), clock };
}

describe('login throttle', () => {
  it('allows 5 failures a minute from one address and refuses the 6th attempt with a retry-after', () => {
    const { limiter, clock } = throttle();
    for (let i = 0; i < 5; i += 1) {
      assert.deepEqual(limiter.check('10.0.0.1'), { allowed: true });
      limiter.recordFailure('10.0.0.1');
      clock.now += 1000;
    }
    const refused = limiter.check('10.0.0.1');
    assert.equal(refused.allowed, false);
    assert.ok(!refused.allowed && refused.retryAfterSeconds === 55, JSON.stringify(refused));
    assert.deepEqual(limiter.check('10.0.0.2'), { allowed: true });
  });

  it('lets the address in again when the window slides past the oldest failure', () => {
    const { limiter, clock } = throttle();
    for (let i = 0; i < 5; i += 1) limiter.recordFailure('10.0.0.1');
    clock.now += 59_999;
    assert.equal(limiter.check('10.0.0.1').allowed, false);
    clock.now += 1;
    assert.equal(limiter.check('10.0.0.1').allowed, true);
  });

  it('limits one username across addresses, but not an address that logged in as it before', () => {
    const { limiter, clock } = throttle();
    limiter.recordSuccess('192.168.1.10', 'owner');
    for (let i = 0; i < 5; i += 1) limiter.recordFailure(`203.0.113.${i}`, 'owner');
    const fromAttacker = limiter.check('203.0.113.99', 'owner');
    assert.equal(fromAttacker.allowed, false);
    assert.deepEqual(limiter.check('203.0.113.99', 'someone-else'), { allowed: true });
    assert.deepEqual(limiter.check('192.168.1.10', 'owner'), { allowed: true });
    clock.now += 60_000;
    assert.deepEqual(limiter.check('203.0.113.99', 'owner'), { allowed: true });
  });

  it('a success clears the address and the username', () => {
    const { limiter } = throttle();
    for (let i = 0; i < 5; i += 1) limiter.recordFailure('10.0.0.1', 'alice');
    limiter.recordSuccess('10.0.0.1', 'alice');
    assert.deepEqual(limiter.check('10.0.0.1', 'alice'), { allowed: true });
    assert.deepEqual(limiter.check('10.0.0.2', 'alice'), { allowed: true });
  });

  it('counts an IPv6 /64 as one client and IPv4-mapped addresses as IPv4', () => {
    assert.equal(clientKey('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    const { limiter } = throttle();
    for (let i = 0; i < 5; i += 1) limiter.recordFailure(`2001:db8:1:2::${i + 1}`);
    assert.equal(limiter.check('2001:db8:1:2:dead:beef:0:1').allowed, false);
    assert.equal(limiter.check('2001:db8:1:3::1').allowed, true);
  });

  it('holds a bounded number of entries and forgets expired ones', () => {
    const { limiter, clock } = throttle({ maxEntries: 100 });
    for (let i = 0; i < 1000; i += 1) {
      limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`, `user${i}`);
      clock.now += 10;
    }
    assert.ok(limiter.size <= 200, String(limiter.size));
    clock.now += 60_000;
    limiter.sweep();
    assert.equal(limiter.size, 0);
  });

  it('stays within its default bound under failures from 50 000 addresses, and still throttles the newest', () => {
    const { limiter, clock } = throttle();
    for (let i = 0; i < 50_000; i += 1) {
      limiter.recordFailure(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
      clock.now += 1;
    }
    assert.ok(limiter.size <= 10_000, String(limiter.size));
    for (let i = 0; i < 5; i += 1) limiter.recordFailure('192.0.2.1');
    assert.equal(limiter.check('192.0.2.1').allowed, false);
  });

  it('a guess already counted in the window is not counted again', () => {
    const { limiter, clock } = throttle();
    for (let i = 0; i < 20; i += 1) limiter.recordFailure('10.0.0.3', undefined, 'same');
    assert.deepEqual(limiter.check('10.0.0.3'), { allowed: true });
    for (let i = 0; i < 4; i += 1) limiter.recordFailure('10.0.0.3', undefined, `other${i}`);
    assert.equal(limiter.check('10.0.0.3').allowed, false);
    clock.now += 60_000;
    limiter.recordFailure('10.0.0.3', undefined, 'same');
    assert.deepEqual(limiter.check('10.0.0.3'), { allowed: true }, 'counted again once its window has passed');
  });
});
