import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { SteadyTicker } from '../../../src/capture/sources/steady-ticker.js';

// The ticker schedules against performance.now(); mock timers move Date, so the clock here is Date
// plus `stallMs`, time that passes without timers firing (a busy event loop, a suspended board).
const EPOCH = 1_000_000;
let stallMs = 0;
beforeEach(() => {
  stallMs = 0;
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: EPOCH });
  mock.method(performance, 'now', () => Date.now() - EPOCH + stallMs);
});
afterEach(() => {
  mock.timers.reset();
  mock.restoreAll();
});

/** Moves the mock clock 1 ms at a time, so every timer fires at its own time, not at the end of a jump. */
function advance(ms: number): void {
  mock.timers.tick(0);
  for (let step = 0; step < ms; step += 1) mock.timers.tick(1);
}

function recording(periodMs: number): { ticker: SteadyTicker; ticks: number[] } {
  const ticks: number[] = [];
  return { ticker: new SteadyTicker(periodMs, () => ticks.push(performance.now())), ticks };
}

test('ticks at start, then once per period', async () => {
  const { ticker, ticks } = recording(50);
  await ticker.start();
  advance(49);
  assert.deepEqual(ticks, [0]);
  advance(951);
  assert.equal(ticks.length, 21);
  assert.deepEqual(ticks.slice(-3), [900, 950, 1000]);
  await ticker.stop();
});

test('a late callback does not make the next one late: ticks stay on the grid of the start time', async () => {
  const { ticker, ticks } = recording(100);
  await ticker.start();
  advance(100);
  stallMs = 30;
  advance(200);
  assert.deepEqual(ticks, [0, 100, 230, 300]);
  await ticker.stop();
});

test('a short stall is caught up, so the count matches the elapsed time', async () => {
  const { ticker, ticks } = recording(100);
  await ticker.start();
  advance(100);
  stallMs = 300;
  advance(100);
  assert.deepEqual(ticks, [0, 100, 500, 500, 500, 500], 'the ticks due at 200, 300, 400 and 500 ms all run at 500');
  advance(100);
  assert.equal(ticks.at(-1), 600);
  await ticker.stop();
});

test('after a long stall it skips ahead instead of bursting the missed ticks', async () => {
  const { ticker, ticks } = recording(100);
  await ticker.start();
  advance(100);
  stallMs = 2000;
  advance(100);
  assert.deepEqual(ticks, [0, 100, 2200, 2200], 'twenty missed periods give two ticks, not twenty');
  advance(1000);
  assert.deepEqual(ticks.slice(4), [2300, 2400, 2500, 2600, 2700, 2800, 2900, 3000, 3100, 3200]);
  await ticker.stop();
});

test('stop() ends the ticks, and start() begins a new grid from then', async () => {
  const { ticker, ticks } = recording(100);
  await ticker.start();
  advance(250);
  await ticker.stop();
  advance(1000);
  assert.deepEqual(ticks, [0, 100, 200]);
  await ticker.start();
  advance(100);
  assert.deepEqual(ticks, [0, 100, 200, 1250, 1350]);
  await ticker.stop();
});

test('a tick may stop its own ticker', async () => {
  const ticks: number[] = [];
  const ticker: SteadyTicker = new SteadyTicker(10, () => {
    ticks.push(performance.now());
    if (ticks.length === 3) void ticker.stop();
  });
  await ticker.start();
  advance(1000);
  assert.deepEqual(ticks, [0, 10, 20]);
});
