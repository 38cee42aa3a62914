import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { FakeCloudWatchLogs } from '@test/logging/fake-cloudwatch-logs';
import { request } from '../support/http';
import { startLoad } from '../support/load';
import { RawConnection } from '../support/raw-http';
import { type LogLine, type ServiceProcess, spawnService } from '../support/service-process';
import { workerDatabaseUrl } from '../support/test-app';
import { testLog } from '../support/test-log';

const GROUP = 'taskoverflow-shutdown';
const STREAM = 'task-1';

/** Resolves true once a new TCP connection to the service is refused. */
async function refusesConnections(baseUrl: string, withinMs: number): Promise<boolean> {
  const { hostname, port } = new URL(baseUrl);
  const deadline = performance.now() + withinMs;
  while (performance.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), hostname);
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });
    if (refused) return true;
    await sleep(20);
  }
  return false;
}

/** Requests the service began, by id, with the status it finished them with (undefined: never finished). */
function requestOutcomes(lines: LogLine[]): Map<string, number | undefined> {
  const outcomes = new Map<string, number | undefined>();
  for (const line of lines) {
    const id = line.request_id as string | undefined;
    if (id && line.message === 'Request started') outcomes.set(id, undefined);
    if (id && line.message === 'Request finished') outcomes.set(id, line.status_code as number);
  }
  return outcomes;
}

describe('shutdown under load', () => {
  let cloudWatch: FakeCloudWatchLogs;
  let service: ServiceProcess | undefined;
  let locker: Client;
  let observer: Client;
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: workerDatabaseUrl(),
    LOG_SQL: 'false',
    // Start lines show a request accepted but never finished.
    LOG_REQUEST_START: 'true',
    ...cloudWatch.shippingEnv(GROUP, STREAM),
    ...extra,
  });

  beforeEach(async () => {
    cloudWatch = await FakeCloudWatchLogs.start();
    locker = new Client({ connectionString: workerDatabaseUrl() });
    observer = new Client({ connectionString: workerDatabaseUrl() });
    await Promise.all([locker.connect(), observer.connect()]);
  });
  afterEach(async () => {
    service?.child.kill('SIGKILL');
    await service?.exited;
    service = undefined;
    await Promise.all([locker.end(), observer.end()]);
    await cloudWatch.close();
  });

  it('SIGTERM: requests in flight, slow ones included, get their normal answers; new connections are refused meanwhile; every log line, "Stopped" last, reaches stdout and CloudWatch; exit 0', async () => {
    service = spawnService(env());
    const baseUrl = await service.listening;
    const created = await request(baseUrl, 'POST', '/api/v1/todos', { json: { title: 'contested' } });
    const id = created.json.id as number;

    // Five PUTs wait on a row lock this test holds: provably in flight, and slow.
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM todos WHERE id = $1 FOR UPDATE', [id]);
    const slow = Array.from({ length: 5 }, (_, k) =>
      request(baseUrl, 'PUT', `/api/v1/todos/${id}`, { json: { title: `slow ${k}` } }),
    );
    // Asked outside the locker's transaction, which would see one snapshot of pg_stat_activity throughout.
    const waiting = async () =>
      (
        await observer.query<{ waiting: number }>(
          "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE application_name = 'taskoverflow' AND wait_event_type = 'Lock'",
        )
      ).rows[0].waiting;
    while ((await waiting()) < 5) await sleep(20);
    const load = startLoad(baseUrl, 8, (client, sequence) =>
      sequence % 2 === 0
        ? { method: 'GET', path: '/api/v1/todos' }
        : { method: 'POST', path: '/api/v1/todos', json: { title: `load ${client}.${sequence}` } },
    );
    await sleep(1000);

    const signalledAt = performance.now();
    service.child.kill('SIGTERM');
    await service.waitForOutput(/SIGTERM received/);
    expect(await refusesConnections(baseUrl, 2000)).toBe(true);
    let slowDone = false;
    void Promise.all(slow).then(() => (slowDone = true));
    await sleep(50);
    expect(slowDone).toBe(false);
    const samples = await load.stop();
    // The service keeps waiting for them while the lock is held.
    await sleep(1000);
    expect(slowDone).toBe(false);
    expect(service.child.exitCode).toBeNull();
    await locker.query('ROLLBACK');
    const releasedMs = performance.now() - signalledAt;

    const answers = await Promise.all(slow);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((answer) => answer.json.title).sort()).toEqual([
      'slow 0',
      'slow 1',
      'slow 2',
      'slow 3',
      'slow 4',
    ]);
    expect(await service.exited).toEqual({ code: 0, signal: null });
    const exitMs = performance.now() - signalledAt;
    expect(exitMs).toBeLessThan(10_000);

    // Every request the service began, it finished with its normal answer.
    const lines = service.logLines();
    const outcomes = requestOutcomes(lines);
    expect(outcomes.size).toBeGreaterThan(50);
    expect([...outcomes.values()].filter((status) => status !== 200 && status !== 201)).toEqual([]);
    // The load's own view: answered normally, or (sent after the listener closed) refused or turned away.
    expect(samples.filter((s) => s.status !== 0 && ![200, 201, 503].includes(s.status))).toEqual([]);
    expect(lines.at(-1)?.message).toBe('Stopped');
    const shipped = cloudWatch.messages(GROUP, STREAM).map((message) => JSON.parse(message) as unknown);
    expect(shipped).toEqual(lines);
    testLog().write(
      `[shutdown] ${outcomes.size} requests served, 5 held on a row lock; exit 0 ${Math.round(exitMs)} ms after SIGTERM ` +
        `(the lock released ${Math.round(releasedMs)} ms after it)\n`,
    );
  }, 30_000);

  it('a client stalled mid-body does not hold the shutdown past its drain budget: its connection is closed, the logs still flushed', async () => {
    service = spawnService(env({ SHUTDOWN_TIMEOUT_MS: '3000' }));
    const baseUrl = await service.listening;
    const stalled = await RawConnection.open(baseUrl);
    stalled.write(
      'POST /api/v1/todos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"title":',
    );
    await service.waitForOutput(/"url":"\/api\/v1\/todos"[^\n]*"message":"Request started"/);

    const signalledAt = performance.now();
    service.child.kill('SIGTERM');
    const { code } = await service.exited;
    const exitMs = performance.now() - signalledAt;

    // 3 s to shut down, 1.5 s of it for draining: then the stalled connection is closed.
    expect(code).toBe(1);
    expect(exitMs).toBeGreaterThanOrEqual(1400);
    expect(exitMs).toBeLessThan(2900);
    await stalled.closed();
    const lines = service.logLines();
    const messages = lines.map((line) => line.message);
    expect(messages).toContain('Requests still open after 1500 ms; closing their connections');
    expect(messages).toContain('Stopped');
    // The stalled request too has its finish line, written as its connection closed.
    expect([...requestOutcomes(lines).values()]).toEqual([499]);
    expect(cloudWatch.messages(GROUP, STREAM).map((message) => JSON.parse(message) as unknown)).toEqual(lines);
  });
});
