import { FakeSecretsManager } from '@test/database/fake-secrets-manager';
import { buildDataSourceOptions, runMigrationsUnderLock } from '@app/database';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { schema } from '../../src/database/schema';
import { request } from '../support/http';
import { startTestApp, type TestApp, workerDatabaseUrl } from '../support/test-app';

const quiet = new Logger('test');
quiet.log = () => undefined;

/** The secret as RDS keeps a managed password: JSON with the user and the password. */
const SECRET = 'taskoverflow/db-app';
const ROLE = `rotating_app_${process.env.JEST_WORKER_ID ?? '1'}`;
const secretOf = (password: string) => JSON.stringify({ username: ROLE, password });

/**
 * A database password rotated under a running service: the pool's role gets
 * a new password in PostgreSQL (ALTER ROLE, as a Secrets Manager rotation
 * does) while the service runs with DB_PASSWORD_SECRET_ID, reading the
 * password through the real AWS SDK from a local Secrets Manager endpoint.
 * Connections already open keep working; new ones must get the new password.
 */
describe('a rotated database password (DB_PASSWORD_SECRET_ID)', () => {
  let fake: FakeSecretsManager;
  let admin: Client;
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    fake = await FakeSecretsManager.start();
    for (const [name, value] of Object.entries(fake.sdkEnvironment)) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
    // The schema exists before the role that only uses it does. (Not through a first app:
    // nestjs-pino keeps the first app's logger for lines written outside a request.)
    const migrations = await new DataSource(
      buildDataSourceOptions({ kind: 'url', url: workerDatabaseUrl() }, { ssl: false, poolSize: 1 }, schema),
    ).initialize();
    await runMigrationsUnderLock(migrations, { logger: quiet });
    await migrations.destroy();
    admin = new Client({ connectionString: workerDatabaseUrl() });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${ROLE}`);
    await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD 'first-password'`);
    await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${ROLE}`);
    await admin.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${ROLE}`);
  });
  afterAll(async () => {
    await admin.query(`DROP OWNED BY ${ROLE}`);
    await admin.query(`DROP ROLE ${ROLE}`);
    await admin.end();
    await fake.close();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  /** The app as ECS runs it: discrete DB_* settings, the password from the secret, migrations elsewhere. */
  async function startApp(logged: string[] = []): Promise<TestApp> {
    const url = new URL(workerDatabaseUrl());
    return startTestApp(
      {
        DATABASE_URL: undefined,
        DB_HOST: url.hostname,
        DB_PORT: url.port,
        DB_NAME: url.pathname.slice(1),
        DB_USER: ROLE,
        DB_PASSWORD_SECRET_ID: SECRET,
        DB_POOL_SIZE: '6',
        DB_MIGRATIONS_RUN: 'false',
        LOG_LEVEL: 'info',
      },
      { logTo: { write: (line: string) => void logged.push(line) } },
    );
  }

  /** `clients` clients, each sending its next request when the last is answered, for `ms`: every status seen. */
  async function load(app: TestApp, clients: number, ms: number): Promise<number[]> {
    const statuses: number[] = [];
    const until = Date.now() + ms;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (Date.now() < until) {
          // A write and a read that no cache serves: both need a connection.
          const created = await request(app.baseUrl, 'POST', '/api/v1/todos', { json: { title: 'rotation' } });
          statuses.push(created.status);
          statuses.push((await request(app.baseUrl, 'GET', '/api/v1/todos?window=1')).status);
        }
      }),
    );
    return statuses;
  }

  const tally = (statuses: number[]) =>
    statuses.reduce<Record<number, number>>(
      (counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }),
      {},
    );

  it('picks up a rotated password on the next new connection, with no failed request', async () => {
    fake.set(SECRET, secretOf('first-password'));
    const logged: string[] = [];
    const app = await startApp(logged);
    try {
      // One client: the pool holds one connection, opened with the first password.
      expect(Object.keys(tally(await load(app, 1, 300)))).toEqual(['200', '201']);

      await admin.query(`ALTER ROLE ${ROLE} PASSWORD 'second-password'`);
      fake.set(SECRET, secretOf('second-password'));
      fake.reads.length = 0;
      // Six clients: five new connections, each first refused with the old password.
      const statuses = await load(app, 6, 1000);

      expect(tally(statuses)).toEqual({ 200: expect.any(Number), 201: expect.any(Number) });
      // One read for the whole burst of refused connections, not one per connection.
      expect(fake.reads).toEqual([{ secretId: SECRET, stage: 'AWSCURRENT' }]);
      expect(logged.join('')).toContain(`The database password in ${SECRET} changed: new connections use the new one`);
    } finally {
      await app.close();
    }
  });

  it('starts, and serves, in the window of a rotation that has changed the database but not yet marked the new secret current', async () => {
    await admin.query(`ALTER ROLE ${ROLE} PASSWORD 'third-password'`);
    fake.set(SECRET, secretOf('second-password'));
    fake.set(SECRET, secretOf('third-password'), 'AWSPENDING');
    const app = await startApp();
    try {
      expect(Object.keys(tally(await load(app, 4, 500)))).toEqual(['200', '201']);
      expect((await request(app.baseUrl, 'GET', '/api/v1/health/ready')).status).toBe(200);
    } finally {
      await app.close();
      fake.set(SECRET, secretOf('third-password'));
      fake.set(SECRET, undefined, 'AWSPENDING');
    }
  });

  it('answers 503 (retry shortly) while the secret lags behind the database, and recovers by itself once it has caught up', async () => {
    const app = await startApp();
    try {
      expect(Object.keys(tally(await load(app, 1, 200)))).toEqual(['200', '201']);
      await admin.query(`ALTER ROLE ${ROLE} PASSWORD 'fourth-password'`);

      const lagging = tally(await load(app, 6, 500));
      // Requests that needed a new connection: a passing condition, not a fault.
      expect(lagging[503]).toBeGreaterThan(0);
      expect(lagging[500]).toBeUndefined();
      const refused = await request(app.baseUrl, 'GET', '/api/v1/todos?window=2');
      if (refused.status === 503) {
        expect(refused.json).toEqual({ error: 'The database is unavailable; try again shortly' });
      }

      fake.set(SECRET, secretOf('fourth-password'));
      expect(Object.keys(tally(await load(app, 6, 500)))).toEqual(['200', '201']);
      expect((await request(app.baseUrl, 'GET', '/api/v1/health/ready')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
