import { readFileSync } from 'node:fs';
import type { ClientConfig } from 'pg';
import type { DataSourceOptions, MixedList } from 'typeorm';
import { SESSION_TIME_ZONE } from './api-timestamp';
import type { DatabaseConfig, DatabaseTarget, RoleCredentials } from './database.config';
import type { PasswordSource } from './password-source';
import type { Privilege } from './privileges';

/**
 * A reachable server: the embedded target has been started and replaced by
 * its URL, and a password in Secrets Manager has its source.
 */
export type ConnectionTarget =
  | Extract<DatabaseTarget, { kind: 'url' }>
  | (Omit<Extract<DatabaseTarget, { kind: 'host' }>, 'migrations'> & {
      passwords?: PasswordSource;
      migrations?: ConnectionRole;
    });

/** A role to log in as; a password in Secrets Manager has its source. */
export type ConnectionRole = RoleCredentials & { passwords?: PasswordSource };

/** The target as migrations reach it: as their own role when there is one. */
export function migrationsTarget(target: ConnectionTarget): ConnectionTarget {
  if (target.kind !== 'host' || target.migrations === undefined) return target;
  const { migrations, ...rest } = target;
  return { ...rest, user: migrations.user, password: migrations.password, passwords: migrations.passwords };
}

export interface SchemaSources {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  /** What the request pool's role is granted when migrations run as a role of their own. */
  applicationPrivileges: Privilege[];
}

export function buildDataSourceOptions(
  target: ConnectionTarget,
  config: Pick<DatabaseConfig, 'ssl' | 'poolSize'>,
  schema: SchemaSources,
): DataSourceOptions {
  const client = buildClientConfig(target, config.ssl);
  return {
    type: 'postgres',
    url: client.connectionString,
    host: client.host,
    port: client.port,
    database: client.database,
    username: client.user,
    password: client.password as string | undefined,
    ssl: client.ssl as ReturnType<typeof tlsOptions>,
    applicationName: client.application_name,
    poolSize: config.poolSize,
    // TypeORM has no option of its own for startup parameters: they reach the pg pool this way.
    extra: { options: client.options },
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: 'migrations',
    // The schema comes from migrations only, never from the entities at run time.
    synchronize: false,
    migrationsRun: false,
  };
}

function tlsOptions(ssl: DatabaseConfig['ssl']): false | { rejectUnauthorized: boolean; ca?: string } {
  return ssl
    ? {
        rejectUnauthorized: ssl.rejectUnauthorized,
        ca: ssl.caFile ? readFileSync(ssl.caFile, 'utf8') : undefined,
      }
    : false;
}

/** The same connection for a plain node-postgres client. */
export function buildClientConfig(target: ConnectionTarget, ssl: DatabaseConfig['ssl']): ClientConfig {
  return {
    ...(target.kind === 'url'
      ? { connectionString: target.url }
      : {
          host: target.host,
          port: target.port,
          database: target.database,
          user: target.user,
          // node-postgres asks for it on each new connection: a rotated one is picked up.
          password: target.passwords ? () => target.passwords!.current() : target.password,
        }),
    ssl: tlsOptions(ssl),
    application_name: 'taskoverflow',
    options: `-c TimeZone=${SESSION_TIME_ZONE}`,
  };
}

/** host:port/database, without credentials, for log lines. */
export function describeTarget(target: ConnectionTarget): string {
  if (target.kind === 'host') {
    return `${target.host}:${target.port}/${target.database}`;
  }
  const url = new URL(target.url);
  return `${url.hostname}:${url.port || 5432}${url.pathname}`;
}
