import { escapeIdentifier } from 'pg';
import type { QueryRunner } from 'typeorm';

/** What the application's role may do on one object the migrations create. */
export interface Privilege {
  /** The object, as GRANT names it: `TABLE "todos"`, `SEQUENCE "todos_id_seq"`. */
  on: string;
  /** `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `USAGE`, ... */
  privileges: string[];
}

/**
 * Gives the request pool's role what the routes need, and nothing more, on
 * each start after the migrations: GRANT is idempotent, and an object a new
 * migration creates gets its grant the first time it is listed.
 */
export async function grantPrivileges(queryRunner: QueryRunner, privileges: Privilege[], role: string): Promise<void> {
  for (const { on, privileges: granted } of privileges) {
    await queryRunner.query(`GRANT ${granted.join(', ')} ON ${on} TO ${escapeIdentifier(role)}`);
  }
}
