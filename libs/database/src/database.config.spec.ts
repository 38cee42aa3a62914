import { ConfigError } from '@app/config';
import { describeTarget } from './data-source-options';
import { loadDatabaseConfig } from './database.config';

describe('loadDatabaseConfig', () => {
  it('starts embedded PostgreSQL when neither DATABASE_URL nor DB_HOST is set', () => {
    expect(loadDatabaseConfig({})).toEqual({
      target: { kind: 'embedded', dataDir: '.data/postgres', port: 0 },
      ssl: false,
      poolSize: 10,
      connectTimeoutMs: 2000,
      statementTimeoutMs: 5000,
      queryTimeoutMs: 6000,
      connectRetries: 10,
      connectRetryDelayMs: 3000,
      runMigrations: true,
    });
  });

  it('prefers DATABASE_URL over DB_HOST', () => {
    const config = loadDatabaseConfig({
      DATABASE_URL: 'postgres://u:p@db.example:5433/app',
      DB_HOST: 'other',
    });
    expect(config.target).toEqual({ kind: 'url', url: 'postgres://u:p@db.example:5433/app' });
  });

  it('builds the target from DB_* variables, as ECS passes them (password from Secrets Manager)', () => {
    const config = loadDatabaseConfig({
      DB_HOST: 'db.rds.amazonaws.com',
      DB_PORT: '5433',
      DB_NAME: 'todos',
      DB_USER: 'app',
      DB_PASSWORD: 's3cret',
      DB_SSL: 'true',
      DB_POOL_SIZE: '25',
    });
    expect(config.target).toEqual({
      kind: 'host',
      host: 'db.rds.amazonaws.com',
      port: 5433,
      database: 'todos',
      user: 'app',
      password: 's3cret',
    });
    expect(config.ssl).toEqual({ rejectUnauthorized: true, caFile: undefined });
    expect(config.poolSize).toBe(25);
  });

  it.each([
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'http://db/app'],
    ['DB_PORT', 'x'],
    ['DB_POOL_SIZE', '0'],
    ['DB_SSL', '1'],
    ['DB_CONNECT_RETRIES', '-1'],
    ['DB_MIGRATIONS_RUN', 'no'],
    ['DB_CONNECT_TIMEOUT_MS', '0'],
    ['DB_STATEMENT_TIMEOUT_MS', '1.5'],
    ['DB_QUERY_TIMEOUT_MS', '-1'],
  ])('rejects %s=%s, naming it', (name, value) => {
    expect(() => loadDatabaseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadDatabaseConfig({ [name]: value })).toThrow(`${name}: `);
  });

  it('reads the password from a Secrets Manager secret with DB_PASSWORD_SECRET_ID, beside DB_HOST only', () => {
    const host = { DB_HOST: 'db.internal', DB_USER: 'taskoverflow_app', DB_PASSWORD_SECRET_ID: 'taskoverflow/db-app' };
    expect(loadDatabaseConfig(host).target).toEqual({
      kind: 'host',
      host: 'db.internal',
      port: 5432,
      database: 'taskoverflow',
      user: 'taskoverflow_app',
      password: undefined,
      passwordSecretId: 'taskoverflow/db-app',
    });
    for (const conflicting of [
      { ...host, DB_PASSWORD: 'also-given' },
      { ...host, DATABASE_URL: 'postgres://u:p@h/d' },
      { DB_PASSWORD_SECRET_ID: 'taskoverflow/db-app' },
    ]) {
      expect(() => loadDatabaseConfig(conflicting)).toThrow(
        new ConfigError(
          'Invalid database configuration: DB_PASSWORD_SECRET_ID: goes with DB_HOST, instead of DB_PASSWORD and DATABASE_URL',
        ),
      );
    }
  });

  it('runs migrations as a role of their own with DB_MIGRATIONS_USER, beside DB_HOST only', () => {
    const host = {
      DB_HOST: 'db.internal',
      DB_USER: 'taskoverflow_app',
      DB_PASSWORD_SECRET_ID: 'taskoverflow/db-app',
      DB_MIGRATIONS_USER: 'taskoverflow_migrations',
      DB_MIGRATIONS_PASSWORD_SECRET_ID: 'taskoverflow/db-migrations',
    };
    expect(loadDatabaseConfig(host).target).toMatchObject({
      user: 'taskoverflow_app',
      passwordSecretId: 'taskoverflow/db-app',
      migrations: { user: 'taskoverflow_migrations', passwordSecretId: 'taskoverflow/db-migrations' },
    });
    expect(
      loadDatabaseConfig({ DB_HOST: 'db.internal', DB_MIGRATIONS_USER: 'owner', DB_MIGRATIONS_PASSWORD: 'p' }).target,
    ).toMatchObject({ user: 'postgres', migrations: { user: 'owner', password: 'p' } });
    expect(loadDatabaseConfig({ DB_HOST: 'db.internal' }).target).not.toHaveProperty('migrations');

    const cases: [Record<string, string>, string][] = [
      [{ DATABASE_URL: 'postgres://u:p@h/d', DB_MIGRATIONS_USER: 'owner' }, 'DB_MIGRATIONS_USER: goes with DB_HOST'],
      [{ DB_MIGRATIONS_USER: 'owner' }, 'DB_MIGRATIONS_USER: goes with DB_HOST'],
      [{ DB_HOST: 'db.internal', DB_MIGRATIONS_PASSWORD: 'p' }, 'DB_MIGRATIONS_USER: goes with DB_HOST'],
      [{ ...host, DB_MIGRATIONS_USER: 'taskoverflow_app' }, 'DB_MIGRATIONS_USER: must differ from DB_USER'],
      [{ ...host, DB_MIGRATIONS_PASSWORD: 'p' }, 'DB_MIGRATIONS_PASSWORD_SECRET_ID: instead of DB_MIGRATIONS_PASSWORD'],
    ];
    for (const [env, message] of cases) {
      expect(() => loadDatabaseConfig(env)).toThrow(ConfigError);
      expect(() => loadDatabaseConfig(env)).toThrow(message);
    }
  });

  it('wants the client-side query deadline past the statement timeout, so the server cancels first', () => {
    expect(() => loadDatabaseConfig({ DB_STATEMENT_TIMEOUT_MS: '8000' })).toThrow(
      'DB_QUERY_TIMEOUT_MS: must exceed DB_STATEMENT_TIMEOUT_MS (or be 0)',
    );
    expect(() => loadDatabaseConfig({ DB_QUERY_TIMEOUT_MS: '5000' })).toThrow(ConfigError);
    expect(loadDatabaseConfig({ DB_STATEMENT_TIMEOUT_MS: '8000', DB_QUERY_TIMEOUT_MS: '0' })).toMatchObject({
      statementTimeoutMs: 8000,
      queryTimeoutMs: 0,
    });
    expect(loadDatabaseConfig({ DB_STATEMENT_TIMEOUT_MS: '0', DB_QUERY_TIMEOUT_MS: '100' })).toMatchObject({
      statementTimeoutMs: 0,
      queryTimeoutMs: 100,
    });
  });
});

describe('describeTarget', () => {
  it('names host, port and database without credentials', () => {
    expect(describeTarget({ kind: 'url', url: 'postgres://user:secret@db:6543/app' })).toBe('db:6543/app');
    expect(describeTarget({ kind: 'url', url: 'postgres://user:secret@db/app' })).toBe('db:5432/app');
    expect(describeTarget({ kind: 'host', host: 'h', port: 1, database: 'd', user: 'u', password: 'p' })).toBe('h:1/d');
  });
});
