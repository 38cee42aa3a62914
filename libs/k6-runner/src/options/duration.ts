/**
 * k6's durations: a number is milliseconds; a string is Go's duration syntax
 * (`1h30m`, `1.5s`, `500ms`, `10us`) plus `d` for days, and a bare number in a
 * string is milliseconds too (`"30"`), as k6's extended durations read them.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/y;

/** Thrown for a value that is not a duration; the message says what was given. */
export class DurationError extends Error {}

/** Milliseconds of a k6 duration (number of ms, or a duration string). */
export function parseDuration(value: unknown, what = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new DurationError(`${what} must not be negative; got ${value}`);
    return value;
  }
  if (typeof value !== 'string') {
    throw new DurationError(`${what} must be a duration such as "30s" or "1m30s"; got ${JSON.stringify(value)}`);
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (match === null) break;
    total += Number(match[1]) * UNIT_MS[match[2]];
    matched = PART.lastIndex;
  }
  if (text === '' || matched !== text.length) {
    throw new DurationError(`${what} must be a duration such as "30s", "1m30s" or "500ms"; got "${value}"`);
  }
  return total;
}

/** A duration as Go (and so k6) prints it: `1m30s`, `10m0s`, `500ms`, `1.5s`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 0.001) return `${trim(ms * 1e6)}ns`;
  if (ms < 1) return `${trim(ms * 1000)}µs`;
  if (ms < 1000) return `${trim(ms)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  const s = `${trim(seconds)}s`;
  if (hours > 0) return `${hours}h${minutes}m${s}`;
  if (minutes > 0) return `${minutes}m${s}`;
  return s;
}

/** Elapsed time as k6's progress shows it: `0m05.0s`, `2m30.5s`. */
export function formatClock(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const seconds = ((ms % 60_000) / 1000).toFixed(1).padStart(4, '0');
  return `${minutes}m${seconds}s`;
}

function trim(value: number): string {
  return String(Number(value.toFixed(3)));
}
