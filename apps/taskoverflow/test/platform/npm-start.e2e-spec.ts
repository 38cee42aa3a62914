import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeCloudWatchLogs } from '@test/logging/fake-cloudwatch-logs';
import { request } from '../support/http';
import { collect, sendOnNewConnection, statuses } from '../support/raw-http';
import { type LogLine, serviceEnvironment } from '../support/service-process';
import { workerDatabaseUrl } from '../support/test-app';
import { isAlive, waitFor } from '../support/processes';

const ROOT = path.resolve(__dirname, '../../../..');
const LIST = 'GET /api/v1/todos HTTP/1.1\r\nHost: localhost\r\n\r\n';

interface NpmStart {
  npm: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The service's JSON lines (npm's own banner left out). */
  logLines(): LogLine[];
  /** Resolves with the service's address once every worker listens. */
  listening: Promise<string>;
}

/**
 * `npm start` as a process manager or `setsid npm start` runs it: in a
 * session of its own, its output piped. The build is current (npm test
 * builds first), so npm start goes straight to the service.
 */
function npmStart(env: Record<string, string>, workers: number): NpmStart {
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: serviceEnvironment({ WEB_CONCURRENCY: String(workers), ...env }),
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const addresses = [...output.matchAll(/listening on (http:\/\/[\d.]+:\d+)/g)];
      if (addresses.length >= workers) resolve(addresses[0][1]);
    };
    npm.stdout?.on('data', onData);
    npm.stderr?.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`npm start exited (${code}) before listening:\n${output}`)));
  });
  listening.catch(() => undefined);
  const logLines = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  return { npm, exited, logLines, listening };
}

/** Every process still in a process group. */
function processesInGroup(pgid: number): string[] {
  return execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group]) => Number(group) === pgid)
    .map(([pid, , ...args]) => `${pid} ${args.join(' ')}`);
}

/** Two processes spinning on the CPU, as a noisy neighbour would. */
function busyLoops(): ChildProcess[] {
  return [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
}

describe('npm start', () => {
  const started: NpmStart[] = [];
  afterEach(() => {
    for (const { npm } of started.splice(0)) {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
  });

  describe.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)("%s to npm's pid", (signal) => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'taskoverflow-npm-start-'));
      // As root, PostgreSQL runs as the user postgres, who must be able to enter it.
      await chmod(dir, 0o755);
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('drains, then stops every process: workers, the embedded PostgreSQL and its supervisor', async () => {
      const dataDir = path.join(dir, 'postgres');
      const run = npmStart({ DB_EMBEDDED_DIR: dataDir, LOG_SQL: 'false' }, 2);
      started.push(run);
      const baseUrl = await run.listening;
      const postgres = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      const supervisor = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(postgres)], { encoding: 'utf8' }));

      const sockets = await Promise.all(Array.from({ length: 10 }, () => sendOnNewConnection(baseUrl, LIST)));
      const outcomes = Promise.all(sockets.map((socket) => collect(socket, 1)));
      run.npm.kill(signal);
      expect(statuses(await outcomes)).toBe('200×10');

      const exit = await run.exited;
      // npm passes SIGTERM and SIGINT on and waits; it dies of SIGHUP, and the service is stopped all the same.
      expect(exit).toEqual(signal === 'SIGHUP' ? { code: null, signal: 'SIGHUP' } : { code: 0, signal: null });
      await waitFor(() => processesInGroup(run.npm.pid!).length === 0, "npm start's processes to exit");
      await waitFor(() => !isAlive(supervisor) && !isAlive(postgres), 'PostgreSQL and its supervisor to stop');
      const messages = run.logLines().map((line) => line.message);
      expect(messages.filter((message) => message === 'Stopped')).toHaveLength(3);
      expect(messages).toContain(`${signal} received: stopping the workers`);
    }, 90_000);
  });

  describe('with CloudWatch shipping', () => {
    const GROUP = 'taskoverflow-npm-start';
    const STREAM = 'task-1';
    let cloudWatch: FakeCloudWatchLogs;
    beforeEach(async () => {
      cloudWatch = await FakeCloudWatchLogs.start();
    });
    afterEach(() => cloudWatch.close());

    it('SIGTERM to the group, the endpoint throttling, the CPU contended, WEB_CONCURRENCY=2: npm exits once every line has arrived', async () => {
      cloudWatch.failNext('PutLogEvents', 2, 'ThrottlingException');
      const run = npmStart({ DATABASE_URL: workerDatabaseUrl(), ...cloudWatch.shippingEnv(GROUP, STREAM) }, 2);
      started.push(run);
      const baseUrl = await run.listening;
      const busy = busyLoops();
      try {
        const answers = await Promise.all(
          Array.from({ length: 150 }, (_, i) =>
            request(baseUrl, 'POST', '/api/v1/todos', { json: { title: `shipped ${i}` } }),
          ),
        );
        expect(answers.filter((answer) => answer.status !== 201)).toEqual([]);
        // What a supervisor does: SIGTERM to the group, wait for npm, then SIGKILL whatever is left.
        process.kill(-run.npm.pid!, 'SIGTERM');
        expect(await run.exited).toEqual({ code: 0, signal: null });
        try {
          process.kill(-run.npm.pid!, 'SIGKILL');
        } catch {
          // Nothing left.
        }
      } finally {
        for (const loop of busy) loop.kill('SIGKILL');
      }

      const logged = run.logLines().map((line) => JSON.stringify(line));
      const shipped = cloudWatch.messages(GROUP, STREAM).map((message) => JSON.stringify(JSON.parse(message)));
      expect(logged.filter((line) => line.includes('"Request finished"'))).toHaveLength(150);
      expect(shipped.sort()).toEqual(logged.sort());
    }, 90_000);
  });
});
