import { constants } from 'node:os';

/** Resolves, when `child` exits, with its exit status as a shell reports it (128+n when killed by signal n). */
export function exitStatus(child) {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + constants.signals[signal]));
  });
}
