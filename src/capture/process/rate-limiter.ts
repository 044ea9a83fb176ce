/** Lets at most `max` events through per `windowMs` and counts the rest, so a noisy child cannot flood the journal. */
export class RateLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private suppressed = 0;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True if this event may be reported; false if it was counted as suppressed. */
  allow(): boolean {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used < this.max) {
      this.used += 1;
      return true;
    }
    this.suppressed += 1;
    return false;
  }

  /** How many events were suppressed since the last call; resets the count. */
  drainSuppressed(): number {
    const count = this.suppressed;
    this.suppressed = 0;
    return count;
  }
}
