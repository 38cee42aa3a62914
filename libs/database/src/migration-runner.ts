import { Logger } from '@nestjs/common';
import { DataSource, MigrationExecutor, type QueryRunner } from 'typeorm';

/** Arbitrary, fixed: every instance of the service contends for the same lock. */
export const MIGRATION_LOCK_KEY = 640_001;

/**
 * Runs pending migrations while holding a PostgreSQL advisory lock, so that
 * instances starting at the same moment apply them once: the others wait,
 * then find nothing pending. Lock, migrations and unlock share one connection
 * (a session lock belongs to its connection), which also works with a pool of one.
 */
export async function runMigrationsUnderLock(
  dataSource: DataSource,
  {
    logger = new Logger('Migrations'),
    afterMigrations,
  }: {
    logger?: Logger;
    /** Still under the lock: concurrent GRANTs on one object can fail ("tuple concurrently updated"). */
    afterMigrations?: (queryRunner: QueryRunner) => Promise<void>;
  } = {},
): Promise<string[]> {
  const queryRunner = dataSource.createQueryRunner();
  try {
    await queryRunner.connect();
    await queryRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const executor = new MigrationExecutor(dataSource, queryRunner);
      executor.transaction = 'all';
      const applied = await executor.executePendingMigrations();
      const names = applied.map((migration) => migration.name);
      logger.log(names.length ? `Applied ${names.length} migration(s): ${names.join(', ')}` : 'Schema is up to date');
      await afterMigrations?.(queryRunner);
      return names;
    } finally {
      await queryRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await queryRunner.release();
  }
}
