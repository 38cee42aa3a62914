import { setTimeout as sleep } from 'node:timers/promises';

/** Whether a process of that pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls every 100 ms until the condition holds; throws naming `what` after `ms`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  for (const started = Date.now(); Date.now() - started < ms; await sleep(100)) {
    if (await condition()) return;
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
