import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuSeconds, cpuTimes } from '../../../bench/proc-stats.js';

/** Spins until the process has used `seconds` more CPU by its own account (getrusage). */
function spin(seconds: number): number {
  const start = process.cpuUsage();
  for (let rounds = 0; rounds < 1e9; rounds += 1) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1e6 >= seconds) return (used.user + used.system) / 1e6;
  }
  throw new Error('the spin never used the CPU asked for');
}

test('cpuSeconds counts the CPU a process used', () => {
  const before = cpuSeconds(process.pid)!;
  const spent = spin(0.2);
  const counted = cpuSeconds(process.pid)! - before;
  // The same time by two clocks of the kernel: getrusage here, schedstat (ns) there. A running thread's schedstat
  // is as of its last scheduler tick, so the two may differ by about a tick (10 ms at HZ=100) at either end.
  assert.ok(Math.abs(counted - spent) <= 0.03, `counted ${counted} s for ${spent} s spent`);
});

test('a process that is gone has no CPU figures', () => {
  // pid 2^22 + 1 is above Linux's pid_max limit, so it never names a live process.
  assert.equal(cpuSeconds(4194305), undefined);
  assert.equal(cpuTimes(4194305), undefined);
});
