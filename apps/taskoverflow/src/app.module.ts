import { type ConnectionTarget, DatabaseModule } from '@app/database';
import { createSqlInstrumentation, LoggingModule } from '@app/logging';
import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Config } from './config/app.config';
import { schema } from './database/schema';
import { HealthModule } from './health/health.module';
import { TodosModule } from './todos/todos.module';

@Module({})
export class AppModule {
  static register(
    config: Config,
    database: ConnectionTarget,
    logger: Logger,
    extraModules: DynamicModule[] = [],
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot(logger, config.logging),
        DatabaseModule.forRoot({
          config: config.database,
          target: database,
          schema,
          instrumentation: createSqlInstrumentation(logger, config.logging),
        }),
        HealthModule,
        TodosModule.register(config.todos),
        ...extraModules,
      ],
    };
  }
}
