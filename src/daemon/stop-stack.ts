import type { Logger } from '../log.js';
import { describeBug } from '../describe-error.js';

/** Stops what the daemon started, last started first, each step awaited, all under one deadline. */
export class StopStack {
  private readonly steps: Array<{ name: string; stop: () => Promise<void> | void }> = [];

  /** Registers how to stop a part that has just started. */
  push(name: string, stop: () => Promise<void> | void): void {
    this.steps.push({ name, stop });
  }

  /** Runs the steps in reverse; resolves false when the deadline passed first (the caller exits anyway). */
  async unwind(deadlineMs: number, log: Logger): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const steps = this.steps.splice(0).reverse();
    const stopped = (async () => {
      for (const step of steps) {
        try {
          await step.stop();
        } catch (error) {
          // one part failing to stop must not keep the others running
          log.error({ part: step.name, err: describeBug(error) }, 'stop failed');
        }
      }
      return true as const;
    })();
    const finished = await Promise.race([stopped, deadline]);
    clearTimeout(timer);
    return finished;
  }
}
