/**
 * A growable column of numbers in a Float64Array: one request's or one
 * statement's value per entry, 8 bytes each, where an array of objects would
 * take ten times that for the millions of entries of an hour-long log.
 */
export class NumberColumn {
  private data = new Float64Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  get(index: number): number {
    return this.data[index];
  }

  set(index: number, value: number): void {
    this.data[index] = value;
  }

  /** The entries, as a view: valid until the next push. */
  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** Values sorted ascending, NaN (no value) left out. */
export function sortedNumbers(values: ArrayLike<number>): Float64Array {
  const present = Float64Array.from(values).filter((v) => !Number.isNaN(v));
  return present.sort();
}

/** Nearest-rank percentile (q from 0 to 1) of ascending values; undefined when there are none. */
export function sortedPercentile(sorted: ArrayLike<number>, q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}
