import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from '../../../src/capture/process/rate-limiter.js';

/** A limiter on a clock the test moves by hand. */
function limiter(max: number, windowMs: number): { limiter: RateLimiter; clock: { now: number } } {
  const clock = { now: 0 };
  return { limiter: new RateLimiter(max, windowMs, () => clock.now), clock };
}

test('lets max events through per window and counts the rest as suppressed', () => {
  const { limiter: limit, clock } = limiter(3, 1000);
  const allowed = Array.from({ length: 10 }, () => {
    clock.now += 10;
    return limit.allow();
  });
  assert.deepEqual(allowed, [true, true, true, false, false, false, false, false, false, false]);
  assert.equal(limit.drainSuppressed(), 7);
});

test('drainSuppressed() reports the count once and starts again from zero', () => {
  const { limiter: limit } = limiter(1, 1000);
  limit.allow();
  limit.allow();
  limit.allow();
  assert.equal(limit.drainSuppressed(), 2);
  assert.equal(limit.drainSuppressed(), 0);
  limit.allow();
  assert.equal(limit.drainSuppressed(), 1);
});

test('a new window opens windowMs after the first event of the last one', () => {
  const { limiter: limit, clock } = limiter(2, 1000);
  clock.now = 5000;
  assert.equal(limit.allow(), true);
  clock.now = 5500;
  assert.equal(limit.allow(), true);
  clock.now = 5999;
  assert.equal(limit.allow(), false);
  clock.now = 6000;
  assert.equal(limit.allow(), true, 'the window started at 5000');
  assert.equal(limit.allow(), true);
  assert.equal(limit.allow(), false);
  assert.equal(limit.drainSuppressed(), 2, 'suppressed events are counted across windows until drained');
});

test('the first event is allowed whatever the clock reads', () => {
  for (const start of [0, -1e9, 1e12]) {
    const { limiter: limit, clock } = limiter(1, 1000);
    clock.now = start;
    assert.equal(limit.allow(), true);
    assert.equal(limit.allow(), false);
  }
});
