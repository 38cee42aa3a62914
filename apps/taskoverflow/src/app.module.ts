import {
  type ConnectionTarget,
  DatabaseModule,
} from '@app/database';
import { type DynamicModule, Module } from '@nestjs/common';
import type { Config } from './config/app.config';
import { schema } from './database/schema';
import { HealthModule } from './health/health.module';
import { TodosModule } from './todos/todos.module';

@Module({})
export class AppModule {
  static register(config: Config, database: ConnectionTarget): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DatabaseModule.forRoot({
          config: config.database,
          target: database,
          schema,
        }),
        HealthModule,
        TodosModule,
      ],
    };
  }
}
