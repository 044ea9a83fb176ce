/** A growable array of numbers without per-sample allocation. */
export class SampleBuffer {
  private data = new Float64Array(1 << 16);
  private length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  clear(): void {
    this.length = 0;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** p50/p99/max of the samples (nearest rank); zeros when there are none. */
export function percentiles(samples: Float64Array): { p50: number; p99: number; max: number; count: number } {
  if (samples.length === 0) return { p50: 0, p99: 0, max: 0, count: 0 };
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  return { p50: rank(0.5), p99: rank(0.99), max: sorted[sorted.length - 1]!, count: sorted.length };
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
