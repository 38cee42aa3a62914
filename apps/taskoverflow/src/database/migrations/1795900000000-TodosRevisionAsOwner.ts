import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The revision trigger writes the counter as the function's owner (the role
 * that owns the schema), so the service's role needs only to read it: a
 * compromised service cannot set the revision back and leave other tasks
 * serving a stale cached list. A fixed search_path, as every SECURITY DEFINER
 * function needs, so no object a caller creates can stand in for the counter.
 */
export class TodosRevisionAsOwner1795900000000 implements MigrationInterface {
  name = 'TodosRevisionAsOwner1795900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER FUNCTION "bump_todos_revision"() SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER FUNCTION "bump_todos_revision"() SECURITY INVOKER RESET search_path`);
  }
}
