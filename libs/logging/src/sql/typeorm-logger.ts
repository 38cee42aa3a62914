import type { Logger } from 'pino';
import type { Logger as TypeOrmLoggerInterface } from 'typeorm';

/**
 * TypeORM's own messages (migrations, schema, warnings) in the log schema.
 * Queries are not logged here: TypeORM calls logQuery before a query runs,
 * without its duration; the traced pg client (traced-client.ts) logs each
 * one when it completes.
 */
export class TypeOrmLogger implements TypeOrmLoggerInterface {
  constructor(private readonly logger: Logger) {}

  logQuery(): void {}

  logQueryError(): void {}

  logQuerySlow(): void {}

  logSchemaBuild(message: string): void {
    this.logger.debug({ location: 'sql' }, message);
  }

  logMigration(message: string): void {
    this.logger.info({ location: 'migrations' }, message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    this.logger[level === 'warn' ? 'warn' : 'info']({ location: 'sql' }, String(message));
  }
}
