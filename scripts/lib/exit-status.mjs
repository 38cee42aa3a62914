import { constants } from 'node:os';

/** A process's exit status as a shell reports it: its code, or 128+n when killed by signal n. */
export function exitStatusOf(code, signal) {
  return code ?? 128 + (constants.signals[signal] ?? 1);
}

/** Resolves, when `child` exits, with its exit status as a shell reports it. */
export function exitStatus(child) {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(exitStatusOf(code, signal)));
  });
}
