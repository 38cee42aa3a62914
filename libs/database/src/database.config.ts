import { boolean, ConfigError, type Env, integer, parseEnv, port } from '@app/config';
import { z } from 'zod';

const databaseEnv = {
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  DB_HOST: z.string().optional(),
  DB_PORT: port().default(5432),
  DB_NAME: z.string().default('taskoverflow'),
  DB_USER: z.string().default('postgres'),
  DB_PASSWORD: z.string().optional(),
  // A Secrets Manager secret (ARN or name) holding the password, read at start and again
  // when the server refuses it (a rotation); instead of DB_PASSWORD, with DB_HOST.
  DB_PASSWORD_SECRET_ID: z.string().min(1).optional(),
  // A role of its own for migrations, which owns the schema, so that DB_USER
  // needs only what the routes do (granted by the migrations at each start).
  DB_MIGRATIONS_USER: z.string().min(1).optional(),
  DB_MIGRATIONS_PASSWORD: z.string().optional(),
  DB_MIGRATIONS_PASSWORD_SECRET_ID: z.string().min(1).optional(),
  DB_SSL: boolean().default(false),
  DB_SSL_CA_FILE: z.string().optional(),
  DB_SSL_REJECT_UNAUTHORIZED: boolean().default(true),
  DB_POOL_SIZE: integer(1, 1000).default(10),
  // A request must fail fast, not hang, when PostgreSQL is down or saturated:
  // opening a connection, or waiting for a free one in the pool, takes at most this.
  DB_CONNECT_TIMEOUT_MS: integer(1, 600_000).default(2000),
  // PostgreSQL cancels a statement running longer than this (statement_timeout); 0: never.
  DB_STATEMENT_TIMEOUT_MS: integer(0, 3_600_000).default(5000),
  // A statement PostgreSQL has not answered by then (a silent network, a frozen
  // server) fails and its connection is closed; 0: wait as long as TCP does.
  DB_QUERY_TIMEOUT_MS: integer(0, 3_600_000).default(6000),
  DB_CONNECT_RETRIES: integer(0, 1000).default(10),
  DB_CONNECT_RETRY_DELAY_MS: integer(0, 600_000).default(3000),
  DB_MIGRATIONS_RUN: boolean().default(true),
  DB_EMBEDDED_DIR: z.string().default('.data/postgres'),
  DB_EMBEDDED_PORT: port().default(0),
};

/** The environment variables this feature reads. */
export const DATABASE_VARIABLES = Object.keys(databaseEnv);

/** A role to log in as, and its password or where to read it. */
export interface RoleCredentials {
  user: string;
  password?: string;
  /** Where to read the password instead: a Secrets Manager secret. */
  passwordSecretId?: string;
}

/** Where the database is: a URL, discrete settings, or an embedded server to start. */
export type DatabaseTarget =
  | { kind: 'url'; url: string }
  | ({
      kind: 'host';
      host: string;
      port: number;
      database: string;
      /** The role migrations run as, when not DB_USER's. */
      migrations?: RoleCredentials;
    } & RoleCredentials)
  | { kind: 'embedded'; dataDir: string; port: number };

export interface DatabaseConfig {
  target: DatabaseTarget;
  ssl: false | { caFile?: string; rejectUnauthorized: boolean };
  poolSize: number;
  connectTimeoutMs: number;
  /** 0: none. */
  statementTimeoutMs: number;
  /** 0: none. */
  queryTimeoutMs: number;
  connectRetries: number;
  connectRetryDelayMs: number;
  runMigrations: boolean;
}

export function loadDatabaseConfig(env: Env): DatabaseConfig {
  const vars = parseEnv('database', databaseEnv, env);
  // The server's cancel should win: it keeps the connection, the client's deadline closes it.
  if (
    vars.DB_QUERY_TIMEOUT_MS > 0 &&
    vars.DB_STATEMENT_TIMEOUT_MS > 0 &&
    vars.DB_QUERY_TIMEOUT_MS <= vars.DB_STATEMENT_TIMEOUT_MS
  ) {
    throw new ConfigError(
      'Invalid database configuration: DB_QUERY_TIMEOUT_MS: must exceed DB_STATEMENT_TIMEOUT_MS (or be 0)',
    );
  }
  if (vars.DB_PASSWORD_SECRET_ID !== undefined && (vars.DATABASE_URL || !vars.DB_HOST || vars.DB_PASSWORD)) {
    throw new ConfigError(
      'Invalid database configuration: DB_PASSWORD_SECRET_ID: goes with DB_HOST, instead of DB_PASSWORD and DATABASE_URL',
    );
  }
  const migrationsVariables = [
    vars.DB_MIGRATIONS_USER,
    vars.DB_MIGRATIONS_PASSWORD,
    vars.DB_MIGRATIONS_PASSWORD_SECRET_ID,
  ].filter((value) => value !== undefined);
  if (migrationsVariables.length > 0) {
    if (vars.DATABASE_URL || !vars.DB_HOST || vars.DB_MIGRATIONS_USER === undefined) {
      throw new ConfigError(
        'Invalid database configuration: DB_MIGRATIONS_USER: goes with DB_HOST (instead of DATABASE_URL), and DB_MIGRATIONS_PASSWORD or DB_MIGRATIONS_PASSWORD_SECRET_ID need it',
      );
    }
    if (vars.DB_MIGRATIONS_USER === vars.DB_USER) {
      throw new ConfigError(
        'Invalid database configuration: DB_MIGRATIONS_USER: must differ from DB_USER (leave it unset to migrate as DB_USER)',
      );
    }
    if (vars.DB_MIGRATIONS_PASSWORD !== undefined && vars.DB_MIGRATIONS_PASSWORD_SECRET_ID !== undefined) {
      throw new ConfigError(
        'Invalid database configuration: DB_MIGRATIONS_PASSWORD_SECRET_ID: instead of DB_MIGRATIONS_PASSWORD, not with it',
      );
    }
  }
  return {
    target: vars.DATABASE_URL
      ? { kind: 'url', url: vars.DATABASE_URL }
      : vars.DB_HOST
        ? {
            kind: 'host',
            host: vars.DB_HOST,
            port: vars.DB_PORT,
            database: vars.DB_NAME,
            user: vars.DB_USER,
            password: vars.DB_PASSWORD,
            ...(vars.DB_PASSWORD_SECRET_ID !== undefined && { passwordSecretId: vars.DB_PASSWORD_SECRET_ID }),
            ...(vars.DB_MIGRATIONS_USER !== undefined && {
              migrations: {
                user: vars.DB_MIGRATIONS_USER,
                password: vars.DB_MIGRATIONS_PASSWORD,
                ...(vars.DB_MIGRATIONS_PASSWORD_SECRET_ID !== undefined && {
                  passwordSecretId: vars.DB_MIGRATIONS_PASSWORD_SECRET_ID,
                }),
              },
            }),
          }
        : {
            kind: 'embedded',
            dataDir: vars.DB_EMBEDDED_DIR,
            port: vars.DB_EMBEDDED_PORT,
          },
    ssl: vars.DB_SSL
      ? {
          caFile: vars.DB_SSL_CA_FILE,
          rejectUnauthorized: vars.DB_SSL_REJECT_UNAUTHORIZED,
        }
      : false,
    poolSize: vars.DB_POOL_SIZE,
    connectTimeoutMs: vars.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: vars.DB_STATEMENT_TIMEOUT_MS,
    queryTimeoutMs: vars.DB_QUERY_TIMEOUT_MS,
    connectRetries: vars.DB_CONNECT_RETRIES,
    connectRetryDelayMs: vars.DB_CONNECT_RETRY_DELAY_MS,
    runMigrations: vars.DB_MIGRATIONS_RUN,
  };
}
