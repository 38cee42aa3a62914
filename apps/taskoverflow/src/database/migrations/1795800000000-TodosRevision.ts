import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A change counter for the todos table, so every process (every ECS task) can
 * keep the rendered list and check it is current with one cheap query.
 *
 * The counter is spread over slots picked by backend pid: one counter row would
 * make every write wait for the previous writer's commit (its row lock is held
 * until then, WAL flush included). The revision is the sum of the slots; read in
 * the same statement as the list, it names exactly the committed writes the list
 * saw, because PostgreSQL snapshots only ever grow. Row-level triggers, so an
 * idempotent DELETE of a missing id changes nothing and invalidates nothing.
 */
export class TodosRevision1795800000000 implements MigrationInterface {
  name = 'TodosRevision1795800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "todos_revision" (
        "slot" smallint PRIMARY KEY,
        "revision" bigint NOT NULL DEFAULT 0
      ) WITH (fillfactor = 50)
    `);
    await queryRunner.query(`INSERT INTO "todos_revision" ("slot") SELECT generate_series(0, 63)`);
    await queryRunner.query(`
      CREATE FUNCTION "bump_todos_revision"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE "todos_revision" SET "revision" = "revision" + 1
        WHERE "slot" = pg_backend_pid() % 64;
        RETURN NULL;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER "todos_revision_on_change"
      AFTER INSERT OR UPDATE OR DELETE ON "todos"
      FOR EACH ROW EXECUTE FUNCTION "bump_todos_revision"()
    `);
    await queryRunner.query(`
      CREATE TRIGGER "todos_revision_on_truncate"
      AFTER TRUNCATE ON "todos"
      FOR EACH STATEMENT EXECUTE FUNCTION "bump_todos_revision"()
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "todos_revision_on_truncate" ON "todos"`);
    await queryRunner.query(`DROP TRIGGER "todos_revision_on_change" ON "todos"`);
    await queryRunner.query(`DROP FUNCTION "bump_todos_revision"()`);
    await queryRunner.query(`DROP TABLE "todos_revision"`);
  }
}
