/** How long and for what a test waits: the bound is a safety net, never a speed assertion. */
export interface WaitOptions {
  timeoutMs: number;
  /** Named in the error, e.g. "first frame". */
  what: string;
  /** A reason to give up at once (e.g. the connection closed); checked with the probe. */
  abandon?: () => string | undefined;
  /** More to say in the timeout error, e.g. the log so far. */
  detail?: () => string;
}

/**
 * The tests' one bounded wait: a recorder (viewer, daemon log, capture listener) calls `wake()` after
 * every event it records, and each pending `until` checks its probe then, so a wait ends on the event
 * itself instead of a polling interval.
 */
export class Waits {
  private readonly pending = new Set<() => void>();

  /** Rechecks every pending wait; call it after each recorded event. */
  wake(): void {
    for (const check of [...this.pending]) check();
  }

  /** Resolves with the first truthy value of `probe()`, checked now and on every wake; rejects after the bound or on `abandon`. */
  until<T>(probe: () => T, options: WaitOptions): Promise<NonNullable<T>> {
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.pending.delete(check);
      };
      const fail = (message: string): void => {
        finish();
        const detail = options.detail?.();
        reject(new Error(detail ? `${message}\n${detail}` : message));
      };
      const check = (): void => {
        const value = probe();
        if (value) {
          finish();
          resolve(value);
          return;
        }
        const reason = options.abandon?.();
        if (reason !== undefined) fail(`${reason} before ${options.what}`);
      };
      const timer = setTimeout(() => fail(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`), options.timeoutMs);
      this.pending.add(check);
      check();
    });
  }
}
