import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTodos1795756820688 implements MigrationInterface {
  name = 'CreateTodos1795756820688';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "todos" (
                "id" SERIAL NOT NULL,
                "title" character varying(80) NOT NULL,
                "description" character varying(120),
                "completed" boolean NOT NULL DEFAULT false,
                "deadline_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_ca8cafd59ca6faaf67995344225" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "todos_deadline_at_idx" ON "todos" ("deadline_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "todos_completed_id_idx" ON "todos" ("completed", "id")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."todos_completed_id_idx"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."todos_deadline_at_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "todos"
        `);
  }
}
