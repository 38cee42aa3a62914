import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/*
 * Starting the built service as a process of its own and knowing when it is
 * ready: one implementation for the end-to-end tests, `npm run bench` and
 * `npm run loadtest`. The service picks its database itself (DATABASE_URL or
 * DB_HOST in `env`, else its embedded PostgreSQL).
 */

function repositoryRoot(): string {
  // The same from the sources (libs/…/src) and from the build (dist/libs/…/src).
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

/** The built service's entry point (`npm run build`). */
export const SERVICE_MAIN = path.join(repositoryRoot(), 'dist/apps/taskoverflow/src/main.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /** The whole environment of the process; PORT and HOST are set from the options below. */
  env: NodeJS.ProcessEnv;
  /** Default: this Node running SERVICE_MAIN. A prefix such as `taskset -c 0` goes here. */
  command?: readonly string[];
  /** 0: the service picks one and logs it (readable with `output: 'pipe'`, see `listening`). */
  port: number;
  host?: string;
  /**
   * 'pipe' (default): stdout and stderr readable by this process, which must
   * keep reading them. A file: the service writes its logs itself, so a busy
   * caller cannot block its synchronous log writes with a full pipe.
   */
  output?: 'pipe' | 'ignore' | { stdout: string; stderr?: string };
  /** In a process group of its own (POSIX): a terminal's Ctrl-C then reaches only the caller. */
  detached?: boolean;
  cwd?: string;
}

export interface ReadyOptions {
  /** Default `/api/v1/health/ready`: the database answers too. */
  path?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Resolves with the base URL from the service's "listening on" line (needs `output: 'pipe'`). */
  readonly listening: Promise<string>;
  running(): boolean;
  /** Signals the process, or its group when detached (cluster workers and all). */
  kill(signal: NodeJS.Signals): void;
  /** Polls `baseUrl + path` until it answers 200; rejects when the process exits first, on timeout or abort. */
  waitUntilReady(baseUrl: string, options?: ReadyOptions): Promise<void>;
  /** SIGTERM (or `signal`), then SIGKILL when it has not exited within `timeoutMs`. */
  stop(options?: { signal?: NodeJS.Signals; timeoutMs?: number }): Promise<Exit>;
}

const LISTENING = /listening on (http:\/\/[^\s/]+)/;

export function startService(options: StartOptions): ServiceProcess {
  const [command, ...args] = options.command ?? [process.execPath, SERVICE_MAIN];
  const output = options.output ?? 'pipe';
  const files =
    typeof output === 'object' ? [openSync(output.stdout, 'w'), openSync(output.stderr ?? output.stdout, 'w')] : [];
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...options.env, PORT: String(options.port), HOST: options.host ?? '127.0.0.1' },
      stdio: ['ignore', ...(files.length ? files : [output as 'pipe' | 'ignore', output as 'pipe' | 'ignore'])],
      detached: options.detached ?? false,
    });
  } finally {
    for (const fd of new Set(files)) closeSync(fd);
  }
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const running = () => child.exitCode === null && child.signalCode === null;

  let seen = '';
  const listening = new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096);
      const address = LISTENING.exec(seen);
      if (address) resolve(address[1]);
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    void exited.then(({ code, signal }) =>
      reject(new Error(`the service exited (${code ?? signal}) before listening`)),
    );
  });
  listening.catch(() => undefined);

  const kill = (signal: NodeJS.Signals) => {
    if (!running() || child.pid === undefined) return;
    try {
      if (options.detached) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // Gone in the meantime.
    }
  };

  const waitUntilReady = async (
    baseUrl: string,
    { path: route = '/api/v1/health/ready', timeoutMs = 120_000, signal }: ReadyOptions = {},
  ) => {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      signal?.throwIfAborted();
      if (!running()) throw new Error(`the service exited (${child.exitCode ?? child.signalCode}) before it was ready`);
      try {
        const response = await fetch(`${baseUrl}${route}`, { signal: AbortSignal.timeout(2000) });
        const body = await response.text();
        if (response.status === 200) return;
        last = `HTTP ${response.status} ${body.slice(0, 200)}`;
      } catch (error) {
        last = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
      }
      await sleep(100);
    }
    throw new Error(`the service was not ready within ${timeoutMs / 1000} s (last answer: ${last})`);
  };

  const stop = async ({
    signal = 'SIGTERM',
    timeoutMs = 40_000,
  }: { signal?: NodeJS.Signals; timeoutMs?: number } = {}) => {
    kill(signal);
    const timer = new AbortController();
    const inTime = await Promise.race([
      exited.then(() => true),
      sleep(timeoutMs, false, { signal: timer.signal }).catch(() => true),
    ]);
    timer.abort();
    if (!inTime) kill('SIGKILL');
    return exited;
  };

  return { child, exited, listening, running, kill, waitUntilReady, stop };
}
