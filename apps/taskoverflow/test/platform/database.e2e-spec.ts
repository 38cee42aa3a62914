import { buildDataSourceOptions, createDatabaseIfMissing, runMigrationsUnderLock } from '@app/database';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { schema } from '../../src/database/schema';
import { MAX_PAGE_SIZE } from '../../src/todos/dto/todo.schema';
import { listTodos } from '../../src/todos/todos.sql';
import { request } from '../support/http';
import { requiredEnv, startTestApp, workerDatabaseUrl } from '../support/test-app';

const quiet = new Logger('test');
quiet.log = () => undefined;

/** A database of its own, empty, on the run's server. */
async function freshDatabase(name: string): Promise<string> {
  const admin = new Client({ connectionString: requiredEnv('TEST_POSTGRES_URL') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
  await admin.end();
  await createDatabaseIfMissing(requiredEnv('TEST_POSTGRES_URL'), name);
  return workerDatabaseUrl(name);
}

function dataSourceFor(url: string, poolSize = 1): DataSource {
  return new DataSource(buildDataSourceOptions({ kind: 'url', url }, { ssl: false, poolSize }, schema));
}

describe('database schema', () => {
  const worker = process.env.JEST_WORKER_ID ?? '1';
  const opened: DataSource[] = [];
  const open = async (url: string, poolSize = 1) => {
    const dataSource = await dataSourceFor(url, poolSize).initialize();
    opened.push(dataSource);
    return dataSource;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((dataSource) => dataSource.destroy()));
  });

  it('applies migrations once when several instances start at the same moment, each with a pool of one', async () => {
    const url = await freshDatabase(`migrations_${worker}`);
    const instances = await Promise.all([1, 2, 3, 4].map(() => open(url, 1)));
    const applied = await Promise.all(
      instances.map((dataSource) => runMigrationsUnderLock(dataSource, { logger: quiet })),
    );
    expect(applied.filter((names) => names.length > 0)).toEqual([
      [
        expect.stringMatching(/^CreateTodos\d+$/),
        expect.stringMatching(/^TodosRevision\d+$/),
        expect.stringMatching(/^TodosRevisionAsOwner\d+$/),
      ],
    ]);
    const [{ count }] = await instances[0].query('SELECT count(*)::int AS count FROM migrations');
    expect(count).toBe(3);
    const [{ held }] = await instances[0].query(
      "SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    expect(held).toBe(0);
  });

  it('the entities and the migrations describe the same schema (nothing left to generate)', async () => {
    const dataSource = await open(await freshDatabase(`agreement_${worker}`));
    await runMigrationsUnderLock(dataSource, { logger: quiet });
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('reverts every migration, newest first, and applies them again', async () => {
    const dataSource = await open(await freshDatabase(`revert_${worker}`));
    await runMigrationsUnderLock(dataSource, { logger: quiet });
    const tables = async () =>
      (
        await dataSource.query(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
        )
      ).map((row: { table_name: string }) => row.table_name);
    const triggers = async () =>
      (await dataSource.query('SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1')).map(
        (row: { tgname: string }) => row.tgname,
      );
    expect(await tables()).toEqual(['migrations', 'todos', 'todos_revision']);
    expect(await triggers()).toEqual(['todos_revision_on_change', 'todos_revision_on_truncate']);
    const definer = async () =>
      (await dataSource.query("SELECT prosecdef FROM pg_proc WHERE proname = 'bump_todos_revision'")).map(
        (row: { prosecdef: boolean }) => row.prosecdef,
      );
    expect(await definer()).toEqual([true]);
    await dataSource.undoLastMigration();
    expect(await definer()).toEqual([false]);
    await dataSource.undoLastMigration();
    expect(await tables()).toEqual(['migrations', 'todos']);
    expect(await triggers()).toEqual([]);
    await dataSource.undoLastMigration();
    expect(await tables()).toEqual(['migrations']);
    await runMigrationsUnderLock(dataSource, { logger: quiet });
    expect(await tables()).toEqual(['migrations', 'todos', 'todos_revision']);
  });

  it('the list filters are served by indexes', async () => {
    const dataSource = await open(await freshDatabase(`indexes_${worker}`));
    await runMigrationsUnderLock(dataSource, { logger: quiet });
    // Many open todos without deadlines, a few done or due: the shape of the load test's table.
    await dataSource.query(
      `INSERT INTO todos (title, completed, deadline_at)
       SELECT 'todo ' || n, n % 500 = 0, CASE WHEN n % 400 = 0 THEN now() + interval '1 day' END
       FROM generate_series(1, 20000) AS n`,
    );
    await dataSource.query('ANALYZE todos');
    const plan = async (filter: Parameters<typeof listTodos>[0]) => {
      const { sql, parameters } = listTodos(filter, MAX_PAGE_SIZE);
      const rows: { 'QUERY PLAN': string }[] = await dataSource.query(`EXPLAIN ${sql}`, parameters);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    };
    expect(await plan({ completed: true })).toMatch(/todos_completed_id_idx/);
    expect(await plan({ windowDays: 7 })).toMatch(/todos_deadline_at_idx/);
  });
});

describe('connection pool', () => {
  it('holds at most DB_POOL_SIZE connections however many requests arrive at once', async () => {
    const database = `pool_${process.env.JEST_WORKER_ID ?? '1'}`;
    const url = await freshDatabase(database);
    const t = await startTestApp({ DATABASE_URL: url, DB_POOL_SIZE: '2' });
    try {
      const responses = await Promise.all(Array.from({ length: 40 }, () => request(t.baseUrl, 'GET', '/api/v1/todos')));
      expect(responses.map((response) => response.status)).toEqual(Array(40).fill(200));
      const [{ connections }] = await t.dataSource.query(
        "SELECT count(*)::int AS connections FROM pg_stat_activity WHERE datname = $1 AND application_name = 'taskoverflow'",
        [database],
      );
      expect(connections).toBeGreaterThanOrEqual(1);
      expect(connections).toBeLessThanOrEqual(2);
    } finally {
      await t.close();
    }
  });
});

describe('session time zone', () => {
  it("answers timestamps in UTC whatever the database's default TimeZone, to the microsecond", async () => {
    const database = `zone_${process.env.JEST_WORKER_ID ?? '1'}`;
    const url = await freshDatabase(database);
    const admin = new Client({ connectionString: requiredEnv('TEST_POSTGRES_URL') });
    await admin.connect();
    // 13:45 ahead of UTC, and not a whole hour: a timestamp left in it could not pass for UTC.
    await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(database)} SET TimeZone = 'Pacific/Chatham'`);
    await admin.end();
    const t = await startTestApp({ DATABASE_URL: url });
    try {
      const deadline = '2023-12-04T14:00:00.123456';
      const created = await request(t.baseUrl, 'POST', '/api/v1/todos', {
        json: { title: 'zone', deadline_at: deadline },
      });
      expect(created.status).toBe(201);
      const read = await request(t.baseUrl, 'GET', `/api/v1/todos/${created.json.id}`);
      expect(read.json.deadline_at).toBe(deadline);
      const list = await request(t.baseUrl, 'GET', '/api/v1/todos');
      expect(list.json[0].deadline_at).toBe(deadline);
      const createdAt = Date.parse(`${read.json.created_at}Z`);
      expect(Math.abs(createdAt - Date.now())).toBeLessThan(60_000);
      // The pool's sessions are in UTC; a client without the service's settings is not.
      const [{ zone }] = await t.dataSource.query('SELECT current_setting($$TimeZone$$) AS zone');
      expect(zone).toBe('UTC');
      const plain = new Client({ connectionString: url });
      await plain.connect();
      const { rows } = await plain.query('SHOW TimeZone');
      await plain.end();
      expect(rows[0].TimeZone).toBe('Pacific/Chatham');
    } finally {
      await t.close();
    }
  });
});
