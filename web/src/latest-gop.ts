/**
 * Holds access units from the newest keyframe on while their decoder is not ready yet, so that what is
 * handed on later always starts at a keyframe and has no holes: past `maxUnits` the GOP is dropped whole
 * and nothing is held until the next keyframe.
 */
export class LatestGop<T> {
  private units: T[] = [];

  constructor(private readonly maxUnits: number) {}

  add(unit: T, keyframe: boolean): void {
    if (keyframe) this.units = [];
    else if (this.units.length === 0 || this.units.length >= this.maxUnits) {
      this.units = [];
      return;
    }
    this.units.push(unit);
  }

  /** The held units, oldest first; the holder is empty afterwards. */
  take(): T[] {
    const units = this.units;
    this.units = [];
    return units;
  }
}
