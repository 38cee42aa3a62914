/**
 * Settings shared by every k6 script, read from environment variables.
 *
 * k6 passes the shell's environment through `__ENV` (and `k6 run -e NAME=value`
 * overrides it). As in the service's own configuration, an empty variable
 * counts as unset, and a bad value stops the test before it starts with an
 * error naming the variable, instead of silently running some other test.
 */

/** A variable's value, trimmed; undefined when unset or empty. */
export function envString(name: string): string | undefined {
  const value: string | undefined = __ENV[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

export interface NumberRule {
  /** Smallest accepted value (inclusive). */
  min?: number;
  /** Values must be greater than this (exclusive). */
  above?: number;
  /** Largest accepted value (inclusive). */
  max?: number;
  /** Only whole numbers. */
  integer?: boolean;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A numeric knob: `fallback` when unset, otherwise a decimal number within
 * `rule`. Anything else (`abc`, `0x10`, `1.5` for a whole number, out of
 * range) throws an Error whose message starts with the variable's name.
 */
export function envNumber(name: string, fallback: number, rule: NumberRule = {}): number {
  const value = envString(name);
  if (value === undefined) return fallback;
  const fail = (expected: string): never => {
    throw new Error(`${name} must be ${expected}; got "${value}"`);
  };
  if (!DECIMAL.test(value)) return fail(rule.integer ? 'a whole number' : 'a number');
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) return fail('a finite number');
  if (rule.integer && !Number.isInteger(parsed)) return fail('a whole number');
  if (rule.min !== undefined && parsed < rule.min) return fail(`at least ${rule.min}`);
  if (rule.above !== undefined && parsed <= rule.above) return fail(`greater than ${rule.above}`);
  if (rule.max !== undefined && parsed > rule.max) return fail(`at most ${rule.max}`);
  return parsed;
}

/** A whole-number knob (VUs, iterations): see envNumber. */
export function envInteger(name: string, fallback: number, rule: Omit<NumberRule, 'integer'> = {}): number {
  return envNumber(name, fallback, { ...rule, integer: true });
}

/**
 * The service's base URL, without `/api/v1` (Terraform's `endpoint_url`
 * output, `http://app:6400` in docker compose). Trailing slashes are dropped,
 * or every request would go to `//api/v1/todos`.
 */
export function endpointFromEnv(name = 'ENDPOINT', fallback = 'http://localhost:6400'): string {
  const value = envString(name) ?? fallback;
  if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(value)) {
    throw new Error(`${name} must be an http:// or https:// URL such as http://localhost:6400; got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}

/** Characters the service accepts in an X-Request-Id (and so in RUN_ID). */
export const REQUEST_ID_CHARACTERS = /^[A-Za-z0-9._:-]+$/;

/** ENDPOINT: where the service is; default http://localhost:6400. */
export const ENDPOINT = endpointFromEnv();

/** The API's root on that endpoint. */
export const API = `${ENDPOINT}/api/v1`;

/**
 * API_KEY: sent as `Authorization: Bearer <key>` on every request, for a
 * deployment with API keys on (Terraform's default). Unset: no header, as
 * `npm start` needs none.
 */
export const API_KEY = envString('API_KEY');

/**
 * DURATION_SCALE: multiplies every stage duration of every load shape
 * (0.1 turns planners-and-studiers' 6 minutes of studiers into 36 s). Default 1.
 */
export const DURATION_SCALE = envNumber('DURATION_SCALE', 1, { above: 0, max: 100 });

/**
 * THINK_SCALE: multiplies every sleep of a simulated user (0 removes them:
 * every VU then sends requests back to back). Default 1.
 */
export const THINK_SCALE = envNumber('THINK_SCALE', 1, { min: 0, max: 100 });

/**
 * RUN_ID: an optional prefix for every X-Request-Id, to tell runs apart in a
 * log group that keeps several (e.g. CloudWatch). At most 40 characters of
 * [A-Za-z0-9._:-].
 */
export const RUN_ID = ((): string | undefined => {
  const value = envString('RUN_ID');
  if (value === undefined) return undefined;
  if (value.length > 40 || !REQUEST_ID_CHARACTERS.test(value)) {
    throw new Error(`RUN_ID must be at most 40 characters of A-Z a-z 0-9 . _ : -; got "${value}"`);
  }
  return value;
})();

/** HTTP_TIMEOUT: seconds before k6 gives up on one request (k6's default is 60). */
export const HTTP_TIMEOUT_SECONDS = envNumber('HTTP_TIMEOUT', 60, { above: 0, max: 3600 });
