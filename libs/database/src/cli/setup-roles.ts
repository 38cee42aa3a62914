import { parseEnv } from '@app/config';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { buildClientConfig } from '../data-source-options';
import { loadDatabaseConfig } from '../database.config';
import { setUpDatabaseRoles } from '../database-roles';
import { resolveDatabaseTarget } from '../database-target';

/*
 * Usage: node setup-roles.js
 *
 * Sets up the service's two PostgreSQL roles and their passwords, connected
 * as the database's administrator the way the service connects (DATABASE_URL,
 * or DB_HOST, DB_USER and DB_PASSWORD or DB_PASSWORD_SECRET_ID: on AWS, the
 * RDS master user and its managed secret). The roles and their secrets:
 *
 *   DB_MIGRATIONS_USER, DB_MIGRATIONS_PASSWORD_SECRET_ID   owns the schema
 *   DB_APP_USER, DB_APP_PASSWORD_SECRET_ID                 the request pool's
 *
 * Run it once before the service first starts with them, and again to
 * rotate both passwords: running services pick the new ones up by themselves.
 */
const ROLE_NAME = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL name (letters, digits, underscores)');

const rolesEnv = {
  DB_MIGRATIONS_USER: ROLE_NAME,
  DB_MIGRATIONS_PASSWORD_SECRET_ID: z.string().min(1),
  DB_APP_USER: ROLE_NAME,
  DB_APP_PASSWORD_SECRET_ID: z.string().min(1),
};

async function main(): Promise<void> {
  const vars = parseEnv('roles', rolesEnv, process.env);
  // Here DB_MIGRATIONS_* name a role to set up, not one to migrate as.
  const config = loadDatabaseConfig({
    ...process.env,
    DB_MIGRATIONS_USER: undefined,
    DB_MIGRATIONS_PASSWORD_SECRET_ID: undefined,
  });
  if (config.target.kind === 'embedded') {
    throw new Error('setup-roles: set DATABASE_URL or DB_HOST to the database to set the roles up in');
  }
  if (vars.DB_APP_USER === vars.DB_MIGRATIONS_USER) {
    throw new Error('setup-roles: DB_APP_USER and DB_MIGRATIONS_USER must be two roles');
  }
  const { target } = await resolveDatabaseTarget(config);
  const report = await setUpDatabaseRoles(
    buildClientConfig(target, config.ssl),
    {
      migrations: { name: vars.DB_MIGRATIONS_USER, secretId: vars.DB_MIGRATIONS_PASSWORD_SECRET_ID },
      app: { name: vars.DB_APP_USER, secretId: vars.DB_APP_PASSWORD_SECRET_ID },
    },
    // Region, credentials and endpoint from the SDK's standard configuration (the task role on ECS).
    new SecretsManagerClient({}),
  );
  for (const line of report) console.log(line);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`setup-roles failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
