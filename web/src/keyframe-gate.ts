/**
 * Passes H.264 access units on only while the chain of references is unbroken: at the start, after a
 * sequence gap, or after the decoder lost its state it drops everything until the next keyframe, so a
 * decoder never sees a P-frame whose reference it did not get.
 */
export class KeyframeGate {
  private lastSequence: number | null = null;
  private waiting = true;
  /** Times a sequence gap made it wait for a keyframe. */
  gapWaits = 0;
  /** Access units dropped while waiting. */
  skipped = 0;

  /** True when this access unit may go to the decoder. */
  accept(sequence: number, keyframe: boolean): boolean {
    const gap = this.lastSequence !== null && (sequence - this.lastSequence) >>> 0 !== 1;
    this.lastSequence = sequence;
    if (gap && !this.waiting) {
      this.waiting = true;
      this.gapWaits++;
    }
    if (this.waiting && !keyframe) {
      this.skipped++;
      return false;
    }
    this.waiting = false;
    return true;
  }

  /** The decoder starts over (new format, decoder error, tab hidden): wait for the next keyframe. */
  restart(): void {
    this.waiting = true;
  }

  /** A new connection: sequence numbers start over too. */
  reset(): void {
    this.lastSequence = null;
    this.waiting = true;
  }
}
