import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const MAIN = path.resolve(__dirname, '../../../../dist/apps/taskoverflow/src/main.js');

export interface ServiceProcess {
  child: ChildProcess;
  /** Resolves once the service has logged the address it listens on. */
  listening: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** Resolves once the output matches; rejects if the process exits first. */
  waitForOutput(pattern: RegExp): Promise<void>;
}

/** The built service (`npm run build`) as its own process, as `npm start` and the Docker image run it. */
export function spawnService(env: Record<string, string>): ServiceProcess {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: npm test builds it first (npm run build)`);
  }
  let output = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NO_COLOR: '1',
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const waiter of waiters.filter((w) => w.pattern.test(output))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const address = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (address) resolve(address[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(({ code }) =>
      reject(new Error(`service exited (${code}) before listening:\n${output}`)),
    );
  });
  listening.catch(() => undefined);
  const waitForOutput = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(output)) return resolve();
      waiters.push({ pattern, resolve });
      void exited.then(() => reject(new Error(`service exited before printing ${pattern}:\n${output}`)));
    });
  return { child, listening, exited, output: () => output, waitForOutput };
}
