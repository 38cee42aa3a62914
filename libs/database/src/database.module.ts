import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnModuleInit,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Client } from 'pg';
import {
  DataSource,
  type DataSourceOptions,
  type EntitySubscriberInterface,
  type Logger as TypeOrmLogger,
} from 'typeorm';
import {
  buildDataSourceOptions,
  type ConnectionTarget,
  type SchemaSources,
} from './data-source-options';
import type { DatabaseConfig } from './database.config';
import { runMigrationsUnderLock } from './migration-runner';
import { waitForDatabase } from './wait-for-database';

/** Observers of every query (logging, tracing); the database module does not know what they do. */
export interface DatabaseInstrumentation {
  logger: TypeOrmLogger;
  subscribers: EntitySubscriberInterface[];
  /** The node-postgres Client class the pool creates its connections with. */
  client: typeof Client;
}

export interface DatabaseModuleOptions {
  config: DatabaseConfig;
  target: ConnectionTarget;
  schema: SchemaSources;
  instrumentation?: DatabaseInstrumentation;
}

const DATABASE_MODULE_OPTIONS = Symbol('DATABASE_MODULE_OPTIONS');

/** Brings the schema up to date before the application starts listening. */
@Injectable()
class MigrationsOnStartup implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(DATABASE_MODULE_OPTIONS)
    private readonly options: DatabaseModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.options.config.runMigrations) {
      await runMigrationsUnderLock(this.dataSource);
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
              ...instrumented(
                buildDataSourceOptions(options.target, options.config, options.schema),
                options.instrumentation,
              ),
              // The server has just answered; a failure from here on is not worth retrying.
              retryAttempts: 0,
            };
          },
          dataSourceFactory: async (dataSourceOptions) => {
            const dataSource = await new DataSource(
              dataSourceOptions as DataSourceOptions,
            ).initialize();
            // TypeORM builds subscribers from classes; instances with their settings are added here.
            dataSource.subscribers.push(...(options.instrumentation?.subscribers ?? []));
            return dataSource;
          },
        }),
      ],
      providers: [
        { provide: DATABASE_MODULE_OPTIONS, useValue: options },
        MigrationsOnStartup,
      ],
    };
  }
}

function instrumented(
  options: DataSourceOptions,
  instrumentation: DatabaseInstrumentation | undefined,
): DataSourceOptions {
  return instrumentation
    ? { ...options, logger: instrumentation.logger, extra: { Client: instrumentation.client } }
    : options;
}
