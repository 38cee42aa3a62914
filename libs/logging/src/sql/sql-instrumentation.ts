import type { Logger } from 'pino';
import type { LoggingConfig } from '../logging.config';
import { RequestCommentingClient } from './request-commenting-client';
import { SqlLogSubscriber } from './sql-log.subscriber';
import { TypeOrmLogger } from './typeorm-logger';

/** What the database module plugs into TypeORM and node-postgres to trace SQL. */
export function createSqlInstrumentation(root: Logger, config: LoggingConfig) {
  return {
    logger: new TypeOrmLogger(root),
    subscribers: [new SqlLogSubscriber(root, config.sql)],
    client: RequestCommentingClient,
  };
}
