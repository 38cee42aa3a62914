/** The `k6` module: check, group, sleep, fail, randomSeed (k6 docs, "k6"). */
import { host } from './host';
import { currentTags, emit, flushSamples, vu } from './state';

function validateName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new TypeError(`${kind} name must be a non-empty string`);
  if (name.includes('::')) throw new Error(`${kind} and check names may not contain '::' (got "${name}")`);
  return name;
}

/**
 * Runs each check on `value`; a check is a function of the value or a plain
 * value (its truth). Each adds a sample to the `checks` rate, tagged with its
 * name, its group and `tags`. True only when every check passed.
 */
export function check<T>(value: T, checks: Record<string, unknown>, tags?: Record<string, unknown>): boolean {
  if (vu.lifecycle === 'init') throw new Error('check() cannot be used in the init context');
  if (checks === null || typeof checks !== 'object')
    throw new TypeError('check() needs an object of check names to functions');
  let all = true;
  for (const name of Object.keys(checks)) {
    validateName('check', name);
    const predicate = checks[name];
    const passed = Boolean(typeof predicate === 'function' ? (predicate as (v: T) => unknown)(value) : predicate);
    const sampleTags = currentTags();
    if (tags !== undefined && tags !== null) for (const key of Object.keys(tags)) sampleTags[key] = String(tags[key]);
    sampleTags.check = name;
    emit('checks', passed ? 1 : 0, sampleTags);
    if (!passed) all = false;
  }
  return all;
}

/** Runs `fn` in a group: its samples carry the group's path, and group_duration measures it. */
export function group<T>(name: string, fn: () => T): T {
  if (vu.lifecycle === 'init') throw new Error('group() cannot be used in the init context');
  validateName('group', name);
  if (typeof fn !== 'function') throw new TypeError('group() needs a function to run');
  const parent = vu.groupPath;
  vu.groupPath = `${parent}::${name}`;
  const started = host.now();
  try {
    const result = fn();
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      throw new Error('group() does not support async functions: k6 runs the group synchronously');
    }
    return result;
  } finally {
    const tags = currentTags();
    vu.groupPath = parent;
    emit('group_duration', host.now() - started, tags);
  }
}

/** Pauses this VU for `seconds` (fractions allowed); other VUs go on. */
export function sleep(seconds: number): void {
  const ms = Number(seconds) * 1000;
  if (!Number.isFinite(ms) || ms <= 0) return;
  flushSamples();
  host.sleep(ms);
}

/** Ends the iteration with an error (k6's fail()). */
export function fail(message?: string): never {
  throw new Error(message === undefined ? 'fail' : String(message));
}

/** Makes Math.random repeat the same sequence in this VU. */
export function randomSeed(seed: number): void {
  let state = Math.trunc(Number(seed)) >>> 0;
  // mulberry32: small and well distributed, enough for test data.
  Math.random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export default { check, group, sleep, fail, randomSeed };
