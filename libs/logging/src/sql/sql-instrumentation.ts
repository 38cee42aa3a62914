import type { Logger } from 'pino';
import type { Client } from 'pg';
import type { LoggingConfig } from '../logging.config';
import { tracedClient } from './traced-client';
import { TypeOrmLogger } from './typeorm-logger';

/** What the database module plugs into TypeORM and node-postgres to trace SQL. */
export function createSqlInstrumentation(root: Logger, config: LoggingConfig) {
  return {
    logger: new TypeOrmLogger(root),
    client: (Base: typeof Client) => tracedClient(Base, root, config.sql),
  };
}
