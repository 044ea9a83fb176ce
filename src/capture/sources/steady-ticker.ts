import type { Lifecycle } from '../source.js';

/** Runs `tick` at a steady rate, scheduled against the start time so it does not drift. */
export class SteadyTicker implements Lifecycle {
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private ticks = 0;

  constructor(
    private readonly periodMs: number,
    private readonly tick: () => void,
  ) {}

  /** Begins a new grid from now (the first tick at once, in a timer); resolves with the timer set. */
  start(): Promise<void> {
    this.cancel();
    this.startedAt = performance.now();
    this.ticks = 0;
    this.schedule();
    return Promise.resolve();
  }

  /** No tick runs after this is called. */
  stop(): Promise<void> {
    this.cancel();
    return Promise.resolve();
  }

  private cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const due = this.startedAt + this.ticks * this.periodMs;
    this.timer = setTimeout(
      () => {
        this.ticks += 1;
        // After a long stall (suspended board, debugger) skip ahead instead of bursting.
        const behind = Math.floor((performance.now() - this.startedAt) / this.periodMs) - this.ticks;
        if (behind > 5) this.ticks += behind;
        this.tick();
        if (this.timer) this.schedule();
      },
      Math.max(0, due - performance.now()),
    );
  }
}
