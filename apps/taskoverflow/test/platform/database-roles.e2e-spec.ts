import { FakeSecretsManager } from '@test/database/fake-secrets-manager';
import { buildDataSourceOptions, createDatabaseIfMissing, runMigrationsUnderLock } from '@app/database';
import { Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { schema } from '../../src/database/schema';
import { request } from '../support/http';
import { requiredEnv, startTestApp, type TestApp, workerDatabaseUrl } from '../support/test-app';

const SETUP_ROLES = path.resolve(__dirname, '../../../../dist/libs/database/src/cli/setup-roles.js');
const worker = process.env.JEST_WORKER_ID ?? '1';
const DATABASE = `roles_${worker}`;
/** A new deployment's database: empty until the migrations role builds the schema. */
const FRESH = `roles_fresh_${worker}`;
const MIGRATIONS = { name: `roles_migrations_${worker}`, secretId: 'taskoverflow/db-migrations' };
const APP = { name: `roles_app_${worker}`, secretId: 'taskoverflow/db-app' };

const quiet = new Logger('test');
quiet.log = () => undefined;

/**
 * Two roles instead of the administrator: `setup-roles` (run as the RDS
 * master user would run it, as its own process, its secrets through the real
 * AWS SDK against a local Secrets Manager endpoint) creates a migrations role
 * that owns the schema and an application role; the service's pool then
 * holds only what the routes need.
 */
describe('database roles (setup-roles, DB_MIGRATIONS_USER)', () => {
  let fake: FakeSecretsManager;
  let admin: Client;
  const url = new URL(workerDatabaseUrl(DATABASE));
  const savedEnv: Record<string, string | undefined> = {};

  function setupRoles(database = DATABASE): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [SETUP_ROLES],
        {
          env: {
            PATH: process.env.PATH ?? '',
            ...fake.sdkEnvironment,
            DATABASE_URL: workerDatabaseUrl(database),
            DB_MIGRATIONS_USER: MIGRATIONS.name,
            DB_MIGRATIONS_PASSWORD_SECRET_ID: MIGRATIONS.secretId,
            DB_APP_USER: APP.name,
            DB_APP_PASSWORD_SECRET_ID: APP.secretId,
          },
        },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
      );
    });
  }

  const passwordOf = (role: { secretId: string }): string =>
    (JSON.parse(fake.get(role.secretId) ?? '{}') as { password: string }).password;

  async function connectAs(role: { name: string; secretId: string }): Promise<Client> {
    const client = new Client({
      host: url.hostname,
      port: Number(url.port),
      database: DATABASE,
      user: role.name,
      password: passwordOf(role),
    });
    await client.connect();
    return client;
  }

  /** The service as the ECS task definition configures it. */
  function startApp(database = DATABASE): Promise<TestApp> {
    return startTestApp({
      DATABASE_URL: undefined,
      DB_HOST: url.hostname,
      DB_PORT: url.port,
      DB_NAME: database,
      DB_USER: APP.name,
      DB_PASSWORD_SECRET_ID: APP.secretId,
      DB_MIGRATIONS_USER: MIGRATIONS.name,
      DB_MIGRATIONS_PASSWORD_SECRET_ID: MIGRATIONS.secretId,
      DB_POOL_SIZE: '6',
    });
  }

  beforeAll(async () => {
    fake = await FakeSecretsManager.start();
    for (const [name, value] of Object.entries(fake.sdkEnvironment)) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
    admin = new Client({ connectionString: requiredEnv('TEST_POSTGRES_URL') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS ${FRESH} WITH (FORCE)`);
    for (const role of [APP, MIGRATIONS]) await admin.query(`DROP ROLE IF EXISTS ${role.name}`);
    await createDatabaseIfMissing(requiredEnv('TEST_POSTGRES_URL'), DATABASE);
    // A deployment from before the roles: the administrator ran the migrations and owns the schema.
    const asAdministrator = await new DataSource(
      buildDataSourceOptions({ kind: 'url', url: url.toString() }, { ssl: false, poolSize: 1 }, schema),
    ).initialize();
    await runMigrationsUnderLock(asAdministrator, { logger: quiet });
    await asAdministrator.query(`INSERT INTO todos (title) VALUES ('written before the roles')`);
    await asAdministrator.destroy();
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS ${FRESH} WITH (FORCE)`);
    for (const role of [APP, MIGRATIONS]) await admin.query(`DROP ROLE IF EXISTS ${role.name}`);
    await admin.end();
    await fake.close();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('creates both roles, hands the schema to the migrations role, and puts a password in each secret', async () => {
    const outcome = await setupRoles();
    expect(outcome.stderr).not.toContain('setup-roles failed');
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain(`created role ${MIGRATIONS.name}\ncreated role ${APP.name}\n`);
    expect(outcome.stdout).toContain(`ALTER TABLE public.todos OWNER TO "${MIGRATIONS.name}"`);
    expect(outcome.stdout).toContain(`ALTER FUNCTION bump_todos_revision() OWNER TO "${MIGRATIONS.name}"`);
    expect(outcome.stdout).toContain(`role ${APP.name}: new password in ${APP.secretId}`);

    for (const role of [MIGRATIONS, APP]) {
      const secret = JSON.parse(fake.get(role.secretId) ?? '{}') as { username: string; password: string };
      expect(secret.username).toBe(role.name);
      expect(secret.password).toMatch(/^[\w-]{43}$/);
      // Staged AWSPENDING first, then made current: both stages name the same version.
      expect(fake.get(role.secretId, 'AWSPENDING')).toBe(fake.get(role.secretId));
    }
    const inDatabase = new Client({ connectionString: url.toString() });
    await inDatabase.connect();
    try {
      const tables = await inDatabase.query<{ relname: string; owner: string }>(
        `SELECT relname, pg_get_userbyid(relowner) AS owner FROM pg_class
          WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S') ORDER BY relname`,
      );
      expect(tables.rows).toEqual(
        ['migrations', 'migrations_id_seq', 'todos', 'todos_id_seq', 'todos_revision'].map((relname) => ({
          relname,
          owner: MIGRATIONS.name,
        })),
      );
      const trigger = await inDatabase.query<{ owner: string; definer: boolean }>(
        `SELECT pg_get_userbyid(proowner) AS owner, prosecdef AS definer FROM pg_proc WHERE proname = 'bump_todos_revision'`,
      );
      expect(trigger.rows).toEqual([{ owner: MIGRATIONS.name, definer: true }]);
      const roles = await inDatabase.query<{ rolname: string; rolsuper: boolean; rolcreaterole: boolean }>(
        'SELECT rolname, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname',
        [[APP.name, MIGRATIONS.name]],
      );
      expect(roles.rows).toEqual(
        [APP.name, MIGRATIONS.name].map((rolname) => ({
          rolname,
          rolsuper: false,
          rolcreaterole: false,
          rolcreatedb: false,
        })),
      );
    } finally {
      await inDatabase.end();
    }
  });

  it("serves every route as the application role, the migrations running as the schema's owner", async () => {
    const app = await startApp();
    try {
      const ready = await request(app.baseUrl, 'GET', '/api/v1/health/ready');
      expect(ready.status).toBe(200);
      const before = await request(app.baseUrl, 'GET', '/api/v1/todos');
      expect(before.status).toBe(200);
      expect(before.json).toEqual([expect.objectContaining({ title: 'written before the roles' })]);

      const created = await request(app.baseUrl, 'POST', '/api/v1/todos', { json: { title: 'as the app role' } });
      expect(created.status).toBe(201);
      const id = (created.json as { id: number }).id;
      // The cached list saw the write: the revision trigger ran, as the counter's owner.
      const after = await request(app.baseUrl, 'GET', '/api/v1/todos');
      expect((after.json as { title: string }[]).map((todo) => todo.title)).toEqual([
        'written before the roles',
        'as the app role',
      ]);
      expect((await request(app.baseUrl, 'PUT', `/api/v1/todos/${id}`, { json: { completed: true } })).status).toBe(
        200,
      );
      expect((await request(app.baseUrl, 'GET', '/api/v1/todos?completed=true&window=100000')).status).toBe(200);
      expect((await request(app.baseUrl, 'DELETE', `/api/v1/todos/${id}`)).status).toBe(200);
      expect((await request(app.baseUrl, 'GET', `/api/v1/todos/${id}`)).status).toBe(404);

      const sessions = await admin.query<{ usename: string; application_name: string }>(
        `SELECT usename, application_name FROM pg_stat_activity WHERE datname = $1 AND usename = ANY($2)`,
        [DATABASE, [APP.name, MIGRATIONS.name]],
      );
      // The pool is the application role's; the migrations' own connection has closed.
      expect(sessions.rows.length).toBeGreaterThan(0);
      expect(sessions.rows.every((row) => row.usename === APP.name)).toBe(true);
    } finally {
      await app.close();
    }
  });

  describe('the application role', () => {
    let asApp: Client;
    beforeAll(async () => (asApp = await connectAs(APP)));
    afterAll(() => asApp.end());

    it.each([
      ['drop a table', 'DROP TABLE todos'],
      ['empty the table at once', 'TRUNCATE todos'],
      ['create a table', 'CREATE TABLE planted (id int)'],
      ['change the schema', 'ALTER TABLE todos ADD COLUMN planted int'],
      ['set the list revision back', 'UPDATE todos_revision SET revision = 0'],
      ['read or rewrite the migrations history', 'DELETE FROM migrations'],
      ['give itself more', `GRANT ${MIGRATIONS.name} TO ${APP.name}`],
    ])('may not %s (42501)', async (_what, statement) => {
      await expect(asApp.query(statement)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('rotates both passwords when run again; the running service opens new connections with the new one', async () => {
    const app = await startApp();
    try {
      expect((await request(app.baseUrl, 'GET', '/api/v1/todos/1')).status).toBe(200);
      const old = { app: passwordOf(APP), migrations: passwordOf(MIGRATIONS) };

      const outcome = await setupRoles();
      expect(outcome.code).toBe(0);
      // Nothing left to create or hand over: only the passwords change.
      expect(outcome.stdout).not.toMatch(/created role|ALTER/);
      expect(passwordOf(APP)).not.toBe(old.app);
      expect(passwordOf(MIGRATIONS)).not.toBe(old.migrations);

      // Concurrent reads no cache serves: the pool grows, and each new connection authenticates anew.
      const statuses = await Promise.all(
        Array.from({ length: 12 }, () => request(app.baseUrl, 'GET', '/api/v1/todos?window=1').then((r) => r.status)),
      );
      expect(statuses).toEqual(Array(12).fill(200));
    } finally {
      await app.close();
    }
    await expect(
      new Client({
        host: url.hostname,
        port: Number(url.port),
        database: DATABASE,
        user: APP.name,
        password: 'not-the-password',
      }).connect(),
    ).rejects.toMatchObject({ code: '28P01' });
  });

  it("builds a new deployment's schema as the migrations role, which then owns every object", async () => {
    await createDatabaseIfMissing(requiredEnv('TEST_POSTGRES_URL'), FRESH);
    const outcome = await setupRoles(FRESH);
    expect(outcome.code).toBe(0);
    // Nothing to hand over in an empty database.
    expect(outcome.stdout).not.toContain('ALTER');

    const app = await startApp(FRESH);
    try {
      const created = await request(app.baseUrl, 'POST', '/api/v1/todos', {
        json: { title: 'first of a new deployment' },
      });
      expect(created.status).toBe(201);
      expect((await request(app.baseUrl, 'GET', '/api/v1/todos')).json).toEqual([
        expect.objectContaining({ title: 'first of a new deployment' }),
      ]);
    } finally {
      await app.close();
    }
    const inFresh = new Client({ connectionString: workerDatabaseUrl(FRESH) });
    await inFresh.connect();
    try {
      const owners = await inFresh.query<{ owner: string }>(
        `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class
          WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S', 'i')
         UNION
         SELECT DISTINCT pg_get_userbyid(proowner) FROM pg_proc WHERE pronamespace = 'public'::regnamespace`,
      );
      expect(owners.rows).toEqual([{ owner: MIGRATIONS.name }]);
    } finally {
      await inFresh.end();
    }
  });
});
