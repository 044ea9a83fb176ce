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

/** A debug-level logger whose parsed lines the test can read. */
export function capturingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}
