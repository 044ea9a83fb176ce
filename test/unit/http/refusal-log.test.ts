import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { RefusalLog } from '../../../src/http/refusal-log.js';

function capturingLogger(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino(sink), lines };
}

test('refusals are summed into one line per interval, by reason and by address, with the rest of many addresses as "other"', () => {
  const { log, lines } = capturingLogger();
  const refusals = new RefusalLog(log, 60_000);
  for (let index = 0; index < 5000; index += 1) refusals.count(index % 2 === 0 ? 'upgrade 401' : 'request 404', `10.0.0.${index % 40}`);
  assert.equal(lines.length, 0, 'nothing is written before the interval ends');
  refusals.flush();
  assert.equal(lines.length, 1);
  const [line] = lines as [{ msg: string; total: number; reasons: Record<string, number>; from: Record<string, number> }];
  assert.equal(line.msg, 'refused requests');
  assert.equal(line.total, 5000);
  assert.deepEqual(line.reasons, { 'upgrade 401': 2500, 'request 404': 2500 });
  assert.equal(Object.keys(line.from).length, 17, '16 addresses and "other"');
  assert.equal(
    Object.values(line.from).reduce((sum, count) => sum + count, 0),
    5000,
  );
  refusals.flush();
  assert.equal(lines.length, 1, 'an empty interval writes nothing');
});

test('the interval line comes by itself once the interval is over', async () => {
  const { log, lines } = capturingLogger();
  const refusals = new RefusalLog(log, 50);
  refusals.count('bad request 400', '10.0.0.1');
  const deadline = Date.now() + 5000;
  while (lines.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(lines.length, 1);
  assert.deepEqual(lines[0]!.reasons, { 'bad request 400': 1 });
});
