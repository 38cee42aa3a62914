/**
 * The bridge from the script's JavaScript context to its VU's worker thread.
 *
 * Everything under vu/js/ runs inside the script's own context (ECMAScript
 * built-ins only, like k6's runtime): no Node API may be used here. The host
 * functions live in the worker's realm, so what they return is copied into
 * this realm by `adopt` before a script sees it.
 */
import type { VuNotice, VuRequest } from '../protocol';

export interface HostBridge {
  /** The VU's number (0 for the VU that reads options and runs setup/teardown). */
  readonly vuId: number;
  /** options.throw: failed requests and invalid metric values throw instead of logging a warning. */
  readonly throwErrors: boolean;
  /** The environment (__ENV) as JSON: the system's and --env's. */
  readonly envJson: string;
  /** A request the engine answers before the VU goes on (an HTTP request, a metric definition). */
  request(request: VuRequest): unknown;
  /** A message to the engine that needs no answer. */
  notify(notice: VuNotice): void;
  /** A monotonic clock in ms with sub-millisecond precision (the context has no `performance`). */
  now(): number;
  /** Blocks this VU (only) for `ms` milliseconds. */
  sleep(ms: number): void;
  /** A file's text, or its bytes when `binary`; a relative path is relative to the calling module (found from `stack`). */
  open(path: string, binary: boolean, stack: string): string | ArrayBuffer;
}

declare const __k6_host: HostBridge;

export const host: HostBridge = __k6_host;

function kindOf(value: object): string {
  return Object.prototype.toString.call(value);
}

/** A deep copy of data from the worker's realm, so `instanceof Array` and friends hold in the script. */
export function adopt<T>(value: unknown): T {
  if (value === null || typeof value !== 'object') return value as T;
  if (Array.isArray(value)) return value.map((item) => adopt<unknown>(item)) as T;
  const kind = kindOf(value);
  if (kind === '[object ArrayBuffer]') return new Uint8Array(value as ArrayBuffer).slice().buffer as T;
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice().buffer as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = adopt((value as Record<string, unknown>)[key]);
  return out as T;
}

/** Calls the host and rethrows its errors as this realm's Error, so scripts can catch them as usual. */
export function hostCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw new Error(
      error !== null && typeof error === 'object' && 'message' in error ? String(error.message) : String(error),
    );
  }
}
