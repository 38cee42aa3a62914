import { databaseFailure, isDataException, QueryDeadlineError, StatementRunner } from '@app/database';
import rTracer from 'cls-rtracer';
import { DataSource, QueryFailedError } from 'typeorm';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestApp, type TestApp, workerDatabaseUrl } from '../support/test-app';

type Line = Record<string, unknown>;

/**
 * Statements reach PostgreSQL two ways: through TypeORM (migrations, new
 * modules' repositories) and straight through the pool (StatementRunner, the
 * todos' hot path). Both are traced by the pool's client, alike and once.
 */
describe('SQL tracing through TypeORM and the statement runner', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  const logged: Line[] = [];
  const inRequest = <T>(request_id: string, run: () => Promise<T>) =>
    rTracer.runWithId(run, { request_id, method: 'GET', url: '/test' });
  const linesOf = (request_id: string) => logged.filter((line) => line.request_id === request_id);

  beforeAll(async () => {
    // Through a relay, so that a test can break a connection under a statement.
    proxy = await TcpProxy.start(workerDatabaseUrl());
    t = await startTestApp(
      {
        DATABASE_URL: proxy.urlFor(workerDatabaseUrl()),
        LOG_LEVEL: 'info',
        DB_POOL_SIZE: '2',
        DB_STATEMENT_TIMEOUT_MS: '0',
        DB_QUERY_TIMEOUT_MS: '1000',
      },
      { logTo: { write: (line: string) => void logged.push(JSON.parse(line) as Line) } },
    );
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
  });

  it('logs one line per statement sent through TypeORM, under the request, without the comment', async () => {
    const rows = await inRequest('through-typeorm', () =>
      t.app.get(DataSource).query<{ n: number }[]>('SELECT $1::int AS n', [7]),
    );
    expect(rows).toEqual([{ n: 7 }]);
    expect(linesOf('through-typeorm')).toEqual([
      expect.objectContaining({
        level: 'info',
        location: 'sql',
        message: 'Query',
        query: 'SELECT $1::int AS n',
        parameter_count: 1,
        duration_ms: expect.any(Number),
      }),
    ]);
  });

  it('logs one line per statement of the runner and answers its rows', async () => {
    const runner = t.app.get(StatementRunner);
    const rows = await inRequest('through-runner', () => runner.rows<{ n: number }>('SELECT $1::int AS n', [8]));
    expect(rows).toEqual([{ n: 8 }]);
    expect(linesOf('through-runner')).toEqual([
      expect.objectContaining({ location: 'sql', message: 'Query', query: 'SELECT $1::int AS n', parameter_count: 1 }),
    ]);
  });

  it('raises a failed statement as QueryFailedError with the PostgreSQL code, logged once at error', async () => {
    const runner = t.app.get(StatementRunner);
    const failure = await inRequest('failing-runner', () => runner.rows('SELECT 1 / $1::int', [0])).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(QueryFailedError);
    // Division by zero is class 22: the client's value, answered with a 4xx.
    expect(isDataException(failure)).toBe(true);
    expect(linesOf('failing-runner')).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'Query failed',
        error_code: '22012',
        query: 'SELECT 1 / $1::int',
      }),
    ]);
  });

  it('survives a connection that breaks while it runs a statement: it fails as unavailable, the pool goes on', async () => {
    const runner = t.app.get(StatementRunner);
    const pending = inRequest('broken', () => runner.rows('SELECT pg_sleep(5)')).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The socket closes under the statement: pg emits 'error' on the checked-out connection.
    proxy.cut();
    proxy.restore();
    const failure = await pending;
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect(databaseFailure(failure)).toBe('unavailable');
    expect(linesOf('broken')).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'Query failed',
        err: expect.objectContaining({ message: 'Connection terminated unexpectedly' }),
      }),
    ]);
    // The broken connection was discarded: both of the pool's connections serve again.
    const again = await Promise.all([runner.rows('SELECT 1 AS one'), runner.rows('SELECT 2 AS one')]);
    expect(again).toEqual([[{ one: 1 }], [{ one: 2 }]]);
  });

  it('ends a statement at the deadline, logs the deadline as its failure, and the pool goes on', async () => {
    const runner = t.app.get(StatementRunner);
    const failure = await inRequest('past-deadline', () => runner.rows('SELECT pg_sleep(3)')).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect((failure as QueryFailedError).driverError).toBeInstanceOf(QueryDeadlineError);
    expect(databaseFailure(failure)).toBe('timeout');
    expect(linesOf('past-deadline')).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'Query failed',
        err: expect.objectContaining({ type: 'QueryDeadlineError' }),
      }),
    ]);
    expect(await runner.rows('SELECT 3 AS one')).toEqual([{ one: 3 }]);
  });
});
