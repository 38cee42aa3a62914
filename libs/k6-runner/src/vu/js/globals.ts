/**
 * The globals k6 gives a script besides ECMAScript's: console, __ENV, __VU,
 * __ITER and open(). Imported before the script, so its init code sees them.
 * Timers are k6 event-loop features this runner does not have: calling one
 * says so instead of failing with "is not defined".
 */
import { host, hostCall } from './host';
import { vu } from './state';

type Level = 'debug' | 'info' | 'warn' | 'error';

/** k6 prints objects as JSON and everything else as text. */
function format(values: unknown[]): string {
  return values
    .map((value) => {
      if (typeof value === 'string') return value;
      if (value instanceof Error) return value.stack ?? String(value);
      if (value !== null && typeof value === 'object') {
        try {
          return JSON.stringify(value);
        } catch {
          return String(value);
        }
      }
      return String(value);
    })
    .join(' ');
}

function logger(level: Level) {
  return (...values: unknown[]): void => host.notify({ kind: 'log', level, text: format(values) });
}

function refuse(name: string) {
  return (): never => {
    throw new Error(`${name}() is not supported by this runner (its VUs have no event loop); run this script with k6`);
  };
}

const scope = globalThis as unknown as Record<string, unknown>;

scope.console = {
  log: logger('info'),
  info: logger('info'),
  debug: logger('debug'),
  warn: logger('warn'),
  error: logger('error'),
};
scope.__ENV = JSON.parse(host.envJson) as Record<string, string>;
scope.__VU = host.vuId;
scope.__ITER = 0;
scope.open = (path: unknown, mode?: unknown): string | ArrayBuffer => {
  if (vu.lifecycle !== 'init') throw new Error('open() can only be called from the init context');
  if (typeof path !== 'string' || path === '') throw new TypeError('open() needs a file path');
  if (mode !== undefined && mode !== '' && mode !== 'b')
    throw new TypeError(`open(): the mode must be "b" or left out; got ${String(mode)}`);
  const stack = new Error().stack ?? '';
  const content = hostCall(() => host.open(path, mode === 'b', stack));
  return typeof content === 'string' ? content : new Uint8Array(content).slice().buffer;
};
for (const name of ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval']) scope[name] = refuse(name);

/** Sets what __ENV holds while an iteration of a scenario with its own env runs. */
export function setEnv(env: Record<string, string>): void {
  scope.__ENV = env;
}

export function setIteration(iteration: number): void {
  scope.__ITER = iteration;
}
