import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { CapturedChunk, SourceListener, SourceState } from '../../../src/capture/source.js';
import { Waits } from '../../helpers/wait.js';

/** A SourceListener that records everything and lets a test await a condition, with a bound. */
export class RecordingListener implements SourceListener {
  readonly chunks: CapturedChunk[] = [];
  readonly states: SourceState[] = [];
  private readonly waits = new Waits();

  chunk(chunk: CapturedChunk): void {
    this.chunks.push(chunk);
    this.waits.wake();
  }

  state(state: SourceState): void {
    this.states.push(state);
    this.waits.wake();
  }

  /** Resolves once `condition` holds (checked now and after every event); rejects after `timeoutMs`. */
  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.waits.until(condition, { timeoutMs, what, detail: () => `states: ${JSON.stringify(this.states)}` }).then(() => undefined);
  }
}

/** A debug-level logger whose parsed lines the test can read and await. */
export function capturingLogger(): {
  log: Logger;
  lines: Array<Record<string, unknown>>;
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<void>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      for (const waiter of [...waiters]) waiter();
      done();
    },
  });
  const waitForLine = (match: (line: Record<string, unknown>) => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!lines.some(match)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for the log line: ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { log: pino({ level: 'debug' }, sink), lines, waitForLine };
}
