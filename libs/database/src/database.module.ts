import { type DynamicModule, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import * as pg from 'pg';
import { Client } from 'pg';
import { DataSource, type DataSourceOptions, type Logger as TypeOrmLogger } from 'typeorm';
import {
  buildDataSourceOptions,
  type ConnectionTarget,
  migrationsTarget,
  type SchemaSources,
} from './data-source-options';
import type { DatabaseConfig } from './database.config';
import { runMigrationsUnderLock } from './migration-runner';
import { StatementRunner } from './statement-runner';
import { grantPrivileges } from './privileges';
import { withPasswordRefresh } from './password-source';
import { withQueryDeadline } from './query-deadline';
import { waitForDatabase } from './wait-for-database';

/** Observers of every query (logging, tracing); the database module does not know what they do. */
export interface DatabaseInstrumentation {
  logger: TypeOrmLogger;
  /**
   * The node-postgres Client class the pools create their connections with,
   * made from the one they would use otherwise: it sees every statement,
   * sent through TypeORM or straight through the pool, and its outcome
   * (the query deadline's included).
   */
  client: (Base: typeof Client) => typeof Client;
}

export interface DatabaseModuleOptions {
  config: DatabaseConfig;
  target: ConnectionTarget;
  schema: SchemaSources;
  instrumentation?: DatabaseInstrumentation;
}

type PostgresConnectionOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

const DATABASE_MODULE_OPTIONS = Symbol('DATABASE_MODULE_OPTIONS');
/** Told apart from the request pool in pg_stat_activity. */
const MIGRATIONS_APPLICATION_NAME = 'taskoverflow-migrations';

/**
 * Brings the schema up to date before the application starts listening, on
 * a connection of its own without the request path's timeouts: building an
 * index, or waiting for another instance's migrations, may rightly take longer.
 */
@Injectable()
class MigrationsOnStartup implements OnModuleInit {
  constructor(
    @Inject(DATABASE_MODULE_OPTIONS)
    private readonly options: DatabaseModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.options.config.runMigrations) return;
    const dataSource = await openDataSource(dataSourceOptions(this.options, 'migrations'));
    const { target, schema } = this.options;
    // With a migrations role of its own, the pool's role has only what the routes need.
    const grantTo = target.kind === 'host' && target.migrations !== undefined ? target.user : undefined;
    try {
      await runMigrationsUnderLock(dataSource, {
        afterMigrations:
          grantTo === undefined
            ? undefined
            : (queryRunner) => grantPrivileges(queryRunner, schema.applicationPrivileges, grantTo),
      });
    } finally {
      await dataSource.destroy();
    }
  }
}

@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            await waitForDatabase(options.target, options.config);
            return {
              ...dataSourceOptions(options, 'requests'),
              // The server has just answered; a failure from here on is not worth retrying.
              retryAttempts: 0,
            };
          },
          dataSourceFactory: (dataSourceOptions) => openDataSource(dataSourceOptions as DataSourceOptions),
        }),
      ],
      providers: [{ provide: DATABASE_MODULE_OPTIONS, useValue: options }, MigrationsOnStartup, StatementRunner],
      exports: [StatementRunner],
      // Like TypeORM's DataSource, the request pool is one for the whole application.
      global: true,
    };
  }
}

/**
 * Requests get a connection, new or free in the pool, within
 * DB_CONNECT_TIMEOUT_MS (pg-pool's connectionTimeoutMillis bounds both), a
 * statement_timeout set as each connection opens, and the client's deadline.
 * Migrations get one connection of their own, without the last two.
 */
function dataSourceOptions(
  { target, config, schema, instrumentation }: DatabaseModuleOptions,
  use: 'requests' | 'migrations',
): PostgresConnectionOptions {
  const instrument = instrumentation?.client ?? ((Base: typeof Client) => Base);
  const role = use === 'migrations' ? migrationsTarget(target) : target;
  const base = {
    ...(buildDataSourceOptions(role, config, schema) as PostgresConnectionOptions),
    connectTimeoutMS: config.connectTimeoutMs,
    logger: instrumentation?.logger,
    ...(role.kind === 'host' && role.passwords ? { driver: withPasswordRefresh(pg, role.passwords) } : {}),
  };
  if (use === 'migrations') {
    return {
      ...base,
      poolSize: 1,
      applicationName: MIGRATIONS_APPLICATION_NAME,
      extra: { ...(base.extra as object), Client: instrument(Client) },
    };
  }
  return {
    ...base,
    extra: {
      ...(base.extra as object),
      Client: instrument(withQueryDeadline(Client, config.queryTimeoutMs)),
      ...(config.statementTimeoutMs > 0 ? { statement_timeout: config.statementTimeoutMs } : {}),
    },
  };
}

function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  return new DataSource(options).initialize();
}
