import type { SchemaSources } from '@app/database';
import path from 'node:path';
import { TodoEntity } from '../todos/todo.entity';

/**
 * The application's tables, the folder of migrations that build them (TypeORM
 * orders them by timestamp), and what the service's role may do on them when
 * migrations run as a role of their own (DB_MIGRATIONS_USER): a table a new
 * migration creates is listed here, or the routes cannot touch it.
 */
export const schema: SchemaSources = {
  entities: [TodoEntity],
  migrations: [path.join(__dirname, 'migrations', '*.{ts,js}')],
  applicationPrivileges: [
    { on: 'TABLE "todos"', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
    // The id's SERIAL sequence: INSERT calls nextval().
    { on: 'SEQUENCE "todos_id_seq"', privileges: ['USAGE'] },
    // Read with the list; written only by the trigger, which runs as the table's owner.
    { on: 'TABLE "todos_revision"', privileges: ['SELECT'] },
  ],
};
