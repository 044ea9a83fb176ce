import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reconnectDelayMs } from '../../../web/src/backoff.js';

const middle = () => 0.5;

test('doubles from 0.5 s up to 10 s', () => {
  assert.deepEqual(
    Array.from({ length: 8 }, (_, attempt) => reconnectDelayMs(attempt, middle)),
    [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000],
  );
});

test('stays at 10 s for any number of failures', () => {
  for (const attempt of [20, 21, 1000, Number.MAX_SAFE_INTEGER]) assert.equal(reconnectDelayMs(attempt, middle), 10_000);
});

test('spreads each delay by ±20 % so viewers of a restarted daemon do not return at once', () => {
  assert.equal(
    reconnectDelayMs(0, () => 0),
    400,
  );
  assert.equal(
    reconnectDelayMs(0, () => 0.999_999),
    600,
  );
  assert.equal(
    reconnectDelayMs(3, () => 0),
    3200,
  );
  assert.equal(
    reconnectDelayMs(3, () => 0.999_999),
    4800,
  );
  assert.equal(
    reconnectDelayMs(10, () => 0),
    8000,
    'the cap is spread downwards too',
  );
  assert.equal(
    reconnectDelayMs(10, () => 0.999_999),
    10_000,
    'but never above it',
  );
});

test('with Math.random every delay lies within its band', () => {
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const base = Math.min(10_000, 500 * 2 ** attempt);
    for (let sample = 0; sample < 200; sample += 1) {
      const delay = reconnectDelayMs(attempt);
      assert.ok(delay >= base * 0.8 && delay <= Math.min(10_000, base * 1.2), `attempt ${attempt}: ${delay} ms`);
    }
  }
});
