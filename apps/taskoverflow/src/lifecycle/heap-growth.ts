import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full
 * collection, in percent. V8's own factor is up to 4× when collections are
 * cheap; this service's live heap is about 40 MB, so one process peaked at
 * 281 MB of RSS under load. At 100 (2×) it peaks at 186–191 MB, with CPU per
 * request within the benchmark's noise (docs/capacity.md, "The write path,
 * memory and log volume").
 */
const HEAP_GROWING_PERCENT = 100;

const FLAG = '--heap-growing-percent';

/**
 * Applies HEAP_GROWING_PERCENT unless node was started with its own
 * --heap-growing-percent. Set here, where every process of the service starts
 * (NODE_OPTIONS does not admit this V8 flag); V8 reads it at each collection,
 * so setting it before the application loads is in time.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((argument) => argument === FLAG || argument.startsWith(`${FLAG}=`))) return;
  setFlagsFromString(`${FLAG}=${HEAP_GROWING_PERCENT}`);
}
