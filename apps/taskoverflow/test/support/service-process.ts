import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const MAIN = path.resolve(__dirname, '../../../../dist/apps/taskoverflow/src/main.js');

export type LogLine = Record<string, unknown> & { message: string; level: string };

export interface ServiceProcess {
  child: ChildProcess;
  /** Resolves once the service has logged the address it listens on. */
  listening: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** Every line the service wrote to stdout, parsed as JSON (a line that is not JSON fails the parse). */
  logLines(): LogLine[];
  /** Resolves once the output matches; rejects if the process exits first. */
  waitForOutput(pattern: RegExp): Promise<void>;
}

/** The service's environment in tests: loopback, a free port, one process, plus `env`. */
export function serviceEnvironment(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NO_COLOR: '1',
    HOST: '127.0.0.1',
    PORT: '0',
    // One process unless a test asks for more: the default follows the machine's CPUs.
    WEB_CONCURRENCY: '1',
    ...env,
  };
}

/**
 * The built service (`npm run build`) as its own process, as `npm start` and
 * the Docker image run it. `processGroup`: in a process group of its own, as
 * a shell runs a foreground job, so that a test can signal the whole group
 * the way a terminal's Ctrl-C does (`process.kill(-child.pid, 'SIGINT')`).
 */
export function spawnService(
  env: Record<string, string>,
  { processGroup = false }: { processGroup?: boolean } = {},
): ServiceProcess {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: npm test builds it first (npm run build)`);
  }
  let output = '';
  let stdout = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const child = spawn(process.execPath, [MAIN], {
    env: serviceEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: processGroup,
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
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onData(chunk);
    });
    child.stderr?.on('data', onData);
    void exited.then(({ code }) =>
      reject(new Error(`service exited (${code}) before listening:\n${output}`)),
    );
  });
  listening.catch(() => undefined);
  // With a fixed port the service is found by asking it, whatever its log level lets through.
  const fixedPort = env.PORT && env.PORT !== '0' ? env.PORT : undefined;
  const ready = fixedPort
    ? pollHealth(`http://127.0.0.1:${fixedPort}`, exited)
    : listening;
  ready.catch(() => undefined);
  const waitForOutput = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(output)) return resolve();
      waiters.push({ pattern, resolve });
      void exited.then(() => reject(new Error(`service exited before printing ${pattern}:\n${output}`)));
    });
  const logLines = () =>
    stdout
      .slice(0, stdout.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogLine);
  return { child, listening: ready, exited, output: () => output, logLines, waitForOutput };
}

async function pollHealth(
  baseUrl: string,
  exited: Promise<{ code: number | null }>,
): Promise<string> {
  let gone = false;
  void exited.then(() => (gone = true));
  while (!gone) {
    try {
      if ((await fetch(`${baseUrl}/api/v1/health`)).ok) return baseUrl;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`service exited before answering on ${baseUrl}`);
}
