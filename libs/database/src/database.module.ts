import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnModuleInit,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  buildDataSourceOptions,
  type ConnectionTarget,
  type SchemaSources,
} from './data-source-options';
import type { DatabaseConfig } from './database.config';
import { runMigrationsUnderLock } from './migration-runner';
import { waitForDatabase } from './wait-for-database';

export interface DatabaseModuleOptions {
  config: DatabaseConfig;
  target: ConnectionTarget;
  schema: SchemaSources;
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
              ...buildDataSourceOptions(
                options.target,
                options.config,
                options.schema,
              ),
              // The server has just answered; a failure from here on is not worth retrying.
              retryAttempts: 0,
            };
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
