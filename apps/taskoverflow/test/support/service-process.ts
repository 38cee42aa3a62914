import { SERVICE_MAIN, startService } from '@app/service-runner';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

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
 * the Docker image run it, started by the shared service runner
 * (@app/service-runner). `processGroup`: in a process group of its own, as
 * a shell runs a foreground job, so that a test can signal the whole group
 * the way a terminal's Ctrl-C does (`process.kill(-child.pid, 'SIGINT')`).
 */
export function spawnService(
  env: Record<string, string>,
  { processGroup = false }: { processGroup?: boolean } = {},
): ServiceProcess {
  if (!existsSync(SERVICE_MAIN)) {
    throw new Error(`${SERVICE_MAIN} is missing: npm test builds it first (npm run build)`);
  }
  const environment = serviceEnvironment(env);
  const service = startService({
    env: environment,
    port: Number(environment.PORT),
    host: environment.HOST,
    detached: processGroup,
  });
  const { child, exited } = service;
  let output = '';
  let stdout = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters.filter((w) => w.pattern.test(output))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onData(chunk);
  });
  child.stderr?.on('data', onData);
  // With a fixed port the service is found by asking it, whatever its log level lets through.
  const listening =
    environment.PORT === '0'
      ? service.listening.catch((error: Error) => Promise.reject(new Error(`${error.message}:\n${output}`)))
      : (async () => {
          const baseUrl = `http://${environment.HOST}:${environment.PORT}`;
          await service.waitUntilReady(baseUrl, { path: '/api/v1/health' });
          return baseUrl;
        })();
  listening.catch(() => undefined);
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
  return { child, listening, exited, output: () => output, logLines, waitForOutput };
}
