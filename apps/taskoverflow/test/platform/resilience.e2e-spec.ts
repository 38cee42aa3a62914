import { findFreePort, MIGRATION_LOCK_KEY } from '@app/database';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { FreezableRelay } from '../support/freezable-relay';
import { request } from '../support/http';
import { type Sample, startLoad } from '../support/load';
import { type PostgresProcess, startPostgresProcess } from '../support/postgres-process';
import { type ServiceProcess, spawnService } from '../support/service-process';
import { deleteAllTodos, startTestApp, type TestApp, workerDatabaseUrl } from '../support/test-app';
import { testLog } from '../support/test-log';

const UNAVAILABLE = { error: 'The database is unavailable; try again shortly' };
const TOO_SLOW = { error: 'The database did not answer in time; try again shortly' };

/** A mix of reads and writes, as the API's users send them. */
/** List, create, and read back `todoId` (created by the test: ids depend on what ran before). */
const mixedRequests = (todoId: number) => (client: number, sequence: number) =>
  [
    { method: 'GET', path: '/api/v1/todos' },
    { method: 'POST', path: '/api/v1/todos', json: { title: `client ${client} #${sequence}` } },
    { method: 'GET', path: `/api/v1/todos/${todoId}` },
  ][sequence % 3];

/** The API's error shape, and nothing else: `{"error": "..."}`. */
const isErrorBody = (json: unknown) =>
  typeof json === 'object' &&
  json !== null &&
  Object.keys(json).join() === 'error' &&
  typeof (json as { error: unknown }).error === 'string';

/** Every answer is the normal one or a 503 in the API's error shape, and none took longer than `withinMs`. */
function expectFastAnswers(samples: Sample[], withinMs: number): void {
  const problems = samples.filter(
    (s) =>
      s.error !== undefined ||
      s.ms > withinMs ||
      ![200, 201, 503].includes(s.status) ||
      (s.status === 503 && !isErrorBody(s.json)),
  );
  expect(problems.map(({ path, status, ms, error, text }) => ({ path, status, ms, error, text }))).toEqual([]);
}

describe('database outage: PostgreSQL stopped under load, then started again', () => {
  let dir: string;
  let dataDir: string;
  let port: number;
  let postgres: PostgresProcess;
  let service: ServiceProcess;
  let baseUrl: string;
  const startPostgres = () => startPostgresProcess({ dataDir, port, database: 'outage' });

  beforeAll(async () => {
    // As root, PostgreSQL runs as the user postgres, who must be able to enter it.
    dir = await mkdtemp(path.join(tmpdir(), 'taskoverflow-outage-'));
    await chmod(dir, 0o755);
    dataDir = path.join(dir, 'pg');
    port = await findFreePort();
    postgres = await startPostgres();
    service = spawnService({ DATABASE_URL: postgres.url, LOG_SQL: 'false' });
    baseUrl = await service.listening;
  }, 60_000);
  afterAll(async () => {
    // The test expects the service to live through the outage: if it died, say how.
    if (service && service.child.exitCode !== null) {
      console.error(`[resilience] the service exited early:\n${service.output().slice(-6000)}`);
    }
    service?.child.kill('SIGKILL');
    await service?.exited;
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 JSON within 2.5 s while it is down, readiness 503 and liveness 200, and recovers without a restart', async () => {
    const before = await request(baseUrl, 'POST', '/api/v1/todos', { json: { title: 'before' } });
    expect(before.status).toBe(201);
    const load = startLoad(baseUrl, 16, mixedRequests(before.json.id));
    await sleep(500);

    const stoppedAt = performance.now();
    // PostgreSQL's fast shutdown ends every session (57P01), then refuses connections.
    await postgres.stop();
    const downAt = performance.now();
    const ready = await request(baseUrl, 'GET', '/api/v1/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({ error: 'Not ready: the database does not answer' });
    const live = await request(baseUrl, 'GET', '/api/v1/health');
    expect(live.status).toBe(200);
    await sleep(2500);

    const restartedAt = performance.now();
    postgres = await startPostgres();
    const upAt = performance.now();
    let recoveredAt = 0;
    while (recoveredAt === 0) {
      if (performance.now() - upAt > 10_000) throw new Error('the service did not recover within 10 s');
      if ((await request(baseUrl, 'GET', '/api/v1/todos')).status === 200) recoveredAt = performance.now();
      else await sleep(20);
    }
    expect((await request(baseUrl, 'GET', '/api/v1/health/ready')).status).toBe(200);
    await sleep(1000);
    const samples = await load.stop();

    expectFastAnswers(samples, 2500);
    const during = samples.filter((s) => s.startedAt >= downAt && s.startedAt + s.ms <= restartedAt);
    expect(during.length).toBeGreaterThan(50);
    expect(new Set(during.map((s) => s.status))).toEqual(new Set([503]));
    expect(during.every((s) => [UNAVAILABLE.error, TOO_SLOW.error].includes((s.json as { error: string }).error))).toBe(
      true,
    );
    const after = samples.filter((s) => s.startedAt >= recoveredAt);
    expect(after.length).toBeGreaterThan(20);
    expect(after.filter((s) => s.status === 503)).toEqual([]);
    expect(service.child.exitCode).toBeNull();
    expect(service.logLines().filter((line) => /listening on/.test(line.message))).toHaveLength(1);

    const firstFailure = samples.find((s) => s.startedAt >= stoppedAt && s.status === 503)!;
    const inFlightAtStop = samples.filter((s) => s.startedAt < stoppedAt && s.startedAt + s.ms > stoppedAt);
    testLog().write(
      `[resilience] outage: ${samples.length} requests, ${during.length} during the outage (max ${Math.round(
        Math.max(...during.map((s) => s.ms)),
      )} ms), first 503 ${Math.round(firstFailure.startedAt + firstFailure.ms - stoppedAt)} ms after the stop began, ` +
        `${inFlightAtStop.length} in flight at the stop answered in max ${Math.round(
          Math.max(...inFlightAtStop.map((s) => s.ms)),
        )} ms, PostgreSQL back after ${Math.round(upAt - restartedAt)} ms, ` +
        `list 200 again ${Math.round(recoveredAt - upAt)} ms after that\n`,
    );
  }, 60_000);
});

describe('a silent network: PostgreSQL stops answering without closing anything', () => {
  let relay: FreezableRelay;
  let service: ServiceProcess;
  let baseUrl: string;

  beforeAll(async () => {
    relay = await FreezableRelay.start(workerDatabaseUrl());
    service = spawnService({
      DATABASE_URL: relay.url(),
      LOG_SQL: 'false',
      DB_CONNECT_TIMEOUT_MS: '500',
      DB_STATEMENT_TIMEOUT_MS: '500',
      DB_QUERY_TIMEOUT_MS: '800',
    });
    baseUrl = await service.listening;
  });
  afterAll(async () => {
    service?.child.kill('SIGKILL');
    await service?.exited;
    await relay.close();
  });

  it('answers 503 by the query deadline instead of waiting for TCP to give up, and recovers when the network does', async () => {
    const existing = await request(baseUrl, 'POST', '/api/v1/todos', { json: { title: 'read back' } });
    expect(existing.status).toBe(201);
    const load = startLoad(baseUrl, 12, mixedRequests(existing.json.id));
    await sleep(300);
    const frozenAt = performance.now();
    relay.freeze();
    await sleep(4000);
    const thawedAt = performance.now();
    relay.thaw();
    await sleep(1500);
    const samples = await load.stop();

    // A read waits at most 0.5 s for a connection (new ones time out, as does
    // waiting for a free one), then at most 0.8 s for its answer; a list may
    // wait for the read in flight, then make its own (coalesced reads). All
    // well before the network comes back: nobody waits for TCP.
    expectFastAnswers(samples, 2 * (500 + 800) + 400);
    const frozen = samples.filter((s) => s.startedAt >= frozenAt && s.startedAt + s.ms <= thawedAt);
    expect(frozen.length).toBeGreaterThan(10);
    expect(frozen.map((s) => s.json)).toEqual(frozen.map(() => TOO_SLOW));
    const after = samples.filter((s) => s.startedAt >= thawedAt + 500);
    expect(after.length).toBeGreaterThan(10);
    expect(after.filter((s) => s.status === 503)).toEqual([]);
    testLog().write(
      `[resilience] silent network for 4 s: ${frozen.length} answers meanwhile, all 503, slowest ${Math.round(
        Math.max(...frozen.map((s) => s.ms)),
      )} ms\n`,
    );
  }, 30_000);
});

/** The failures these tests cause on purpose are logged at error; Jest's report need not show them. */
const discardLogs = { logTo: { write: () => undefined } };

describe('statement timeout and migrations', () => {
  let t: TestApp | undefined;
  let locker: Client;
  beforeEach(async () => {
    locker = new Client({ connectionString: workerDatabaseUrl() });
    await locker.connect();
  });
  afterEach(async () => {
    await locker.end();
    await t?.close();
    t = undefined;
  });

  it('a statement waiting longer than DB_STATEMENT_TIMEOUT_MS is cancelled by PostgreSQL: 503, and the pool carries on', async () => {
    t = await startTestApp(
      { DB_STATEMENT_TIMEOUT_MS: '500', DB_QUERY_TIMEOUT_MS: '0', DB_POOL_SIZE: '1' },
      discardLogs,
    );
    await deleteAllTodos(t.dataSource);
    const created = await request(t.baseUrl, 'POST', '/api/v1/todos', { json: { title: 'locked' } });
    await locker.query('BEGIN');
    await locker.query('SELECT * FROM todos WHERE id = $1 FOR UPDATE', [created.json.id]);
    try {
      const startedAt = performance.now();
      const update = await request(t.baseUrl, 'PUT', `/api/v1/todos/${created.json.id}`, { json: { title: 'waited' } });
      const ms = performance.now() - startedAt;
      expect(update.status).toBe(503);
      expect(update.json).toEqual(TOO_SLOW);
      expect(ms).toBeGreaterThanOrEqual(450);
      expect(ms).toBeLessThan(2000);
    } finally {
      await locker.query('ROLLBACK');
    }
    // The server cancelled the statement and kept the session: the pool's one connection serves on.
    expect((await request(t.baseUrl, 'GET', `/api/v1/todos/${created.json.id}`)).json).toMatchObject({
      title: 'locked',
    });
  });

  it('start-up migrations are not bound by the request timeouts: they wait for another instance holding the lock', async () => {
    await locker.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const release = sleep(1500).then(() => locker.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]));
    const startedAt = performance.now();
    t = await startTestApp({ DB_STATEMENT_TIMEOUT_MS: '200', DB_QUERY_TIMEOUT_MS: '300' }, discardLogs);
    await release;
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(1400);
    expect((await request(t.baseUrl, 'GET', '/api/v1/health/ready')).status).toBe(200);
  });
});
