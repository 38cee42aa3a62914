import { sortedNumbers, sortedPercentile } from './columns';

/** Nearest-rank percentile (q from 0 to 1) of unsorted values; undefined when there are none. */
export function percentile(values: ArrayLike<number>, q: number): number | undefined {
  return sortedPercentile(sortedNumbers(values), q);
}

export function median(values: ArrayLike<number>): number | undefined {
  return percentile(values, 0.5);
}

export function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}

// The service's own rounding, so sums of logged durations read like the logs.
export { roundMs } from '@app/logging/round-ms';
