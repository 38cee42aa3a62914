import type { SchemaSources } from '@app/database';
import path from 'node:path';
import { TodoEntity } from '../todos/todo.entity';

/** The application's tables, and the folder of migrations that build them (TypeORM orders them by timestamp). */
export const schema: SchemaSources = {
  entities: [TodoEntity],
  migrations: [path.join(__dirname, 'migrations', '*.{ts,js}')],
};
