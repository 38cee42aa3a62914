import { type ConnectionTarget, DatabaseModule } from '@app/database';
import type { Tracing } from '@app/logging';
import { type DynamicModule, Module } from '@nestjs/common';
import type { Config } from './config/app.config';
import { schema } from './database/schema';
import { HealthModule } from './health/health.module';
import { TodosModule } from './todos/todos.module';

@Module({})
export class AppModule {
  static register(
    config: Config,
    database: ConnectionTarget,
    tracing: Pick<Tracing, 'module' | 'sql'>,
    extraModules: DynamicModule[] = [],
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        tracing.module,
        DatabaseModule.forRoot({
          config: config.database,
          target: database,
          schema,
          instrumentation: tracing.sql,
        }),
        HealthModule,
        TodosModule.register(config.todos),
        ...extraModules,
      ],
    };
  }
}
