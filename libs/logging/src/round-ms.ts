/** Milliseconds to three decimals (microseconds): finer is noise, coarser hides sub-millisecond queries. */
export function roundMs(milliseconds: number): number {
  return Math.round(milliseconds * 1000) / 1000;
}
