import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { StopStack } from '../../../src/daemon/stop-stack.js';

const quiet = pino({ level: 'silent' });

test('parts stop last-started first, each awaited, and a failing part does not keep the others running', async () => {
  const stack = new StopStack();
  const order: string[] = [];
  stack.push('notifier', () => {
    order.push('notifier');
  });
  stack.push('capture', async () => {
    await new Promise((resolve) => setImmediate(resolve));
    order.push('capture');
  });
  stack.push('broken', () => {
    throw new Error('cannot stop');
  });
  stack.push('server', () => {
    order.push('server');
    return Promise.resolve();
  });
  assert.equal(await stack.unwind(5000, quiet), true);
  assert.deepEqual(order, ['server', 'capture', 'notifier']);
  assert.equal(await stack.unwind(5000, quiet), true, 'a second unwind has nothing left to stop');
  assert.deepEqual(order, ['server', 'capture', 'notifier']);
});

test('a part that never stops is cut off by the one deadline', async () => {
  const stack = new StopStack();
  let released!: () => void;
  stack.push('stuck', () => new Promise<void>((resolve) => (released = resolve)));
  assert.equal(await stack.unwind(50, quiet), false);
  released();
});
