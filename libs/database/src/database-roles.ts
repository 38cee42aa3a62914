import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { createHash, createHmac, pbkdf2Sync, randomBytes, randomUUID } from 'node:crypto';
import { Client, type ClientConfig, escapeIdentifier, escapeLiteral } from 'pg';

/** One of the service's roles, and the secret its password lives in. */
export interface ServiceRole {
  name: string;
  secretId: string;
}

export interface DatabaseRoles {
  /** Owns the schema; the migrations run as it. */
  migrations: ServiceRole;
  /** The request pool's role; the migrations grant it what the routes need. */
  app: ServiceRole;
}

/** What was done, one line each, for the operator. */
export type RolesReport = string[];

/**
 * Sets up the service's two roles as the database's administrator (the RDS
 * master user): creates them when missing, lets the migrations role create
 * in the schema, hands it the objects the administrator owns there (a
 * deployment whose migrations ran as the administrator), and gives each role
 * a new password. Running it again rotates both passwords.
 */
export async function setUpDatabaseRoles(
  admin: ClientConfig,
  roles: DatabaseRoles,
  secrets: Pick<SecretsManagerClient, 'send'>,
): Promise<RolesReport> {
  const report: RolesReport = [];
  const client = new Client(admin);
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const role of [roles.migrations, roles.app]) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.name]);
      if (rowCount === 0) {
        await client.query(`CREATE ROLE ${escapeIdentifier(role.name)} LOGIN`);
        report.push(`created role ${role.name}`);
      }
    }
    const migrations = escapeIdentifier(roles.migrations.name);
    const app = escapeIdentifier(roles.app.name);
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    await client.query(`GRANT CONNECT ON DATABASE ${escapeIdentifier(rows[0].db)} TO ${migrations}, ${app}`);
    await client.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${migrations}`);
    await client.query(`GRANT USAGE ON SCHEMA public TO ${app}`);
    // Handing an object to a role takes membership in it (RDS's master user is no superuser).
    await client.query(`GRANT ${migrations} TO CURRENT_USER`);
    for (const statement of await ownershipTransfers(client, roles.migrations.name)) {
      await client.query(statement);
      report.push(statement);
    }
    await client.query('COMMIT');
    for (const role of [roles.migrations, roles.app]) {
      await rotatePassword(client, admin, role, secrets);
      report.push(`role ${role.name}: new password in ${role.secretId}`);
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  return report;
}

/** ALTER ... OWNER TO statements for what the administrator owns in the schema. */
async function ownershipTransfers(client: Client, owner: string): Promise<string[]> {
  const to = escapeIdentifier(owner);
  // Sequences belonging to a table follow it; their own ALTER would fail.
  const { rows } = await client.query<{ statement: string }>(
    `SELECT format('ALTER TABLE public.%I OWNER TO ', c.relname) AS statement
       FROM pg_class c
      WHERE c.relnamespace = 'public'::regnamespace AND c.relowner = current_user::regrole
        AND c.relkind IN ('r', 'p', 'v', 'm')
     UNION ALL
     SELECT format('ALTER FUNCTION %s OWNER TO ', p.oid::regprocedure)
       FROM pg_proc p
      WHERE p.pronamespace = 'public'::regnamespace AND p.proowner = current_user::regrole
      ORDER BY 1`,
  );
  return rows.map((row) => row.statement + to);
}

/**
 * The steps of a Secrets Manager rotation: the new password staged as
 * AWSPENDING, set on the role, tried, then made AWSCURRENT. A service that
 * the database refuses the old password meanwhile finds the new one in
 * AWSPENDING (password-source.ts), so a rotation needs no restart.
 */
async function rotatePassword(
  client: Client,
  admin: ClientConfig,
  role: ServiceRole,
  secrets: Pick<SecretsManagerClient, 'send'>,
): Promise<void> {
  const described = await secrets.send(new DescribeSecretCommand({ SecretId: role.secretId }));
  const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
    stages.includes('AWSCURRENT'),
  )?.[0];
  const password = randomBytes(32).toString('base64url');
  const version = randomUUID();
  await secrets.send(
    new PutSecretValueCommand({
      SecretId: role.secretId,
      ClientRequestToken: version,
      SecretString: JSON.stringify({ username: role.name, password }),
      VersionStages: ['AWSPENDING'],
    }),
  );
  await client.query(
    `ALTER ROLE ${escapeIdentifier(role.name)} WITH LOGIN PASSWORD ${escapeLiteral(scramSha256Verifier(password))}`,
  );
  const tried = new Client({
    ...admin,
    connectionString: undefined,
    host: client.host,
    port: client.port,
    database: client.database,
    user: role.name,
    password,
  });
  await tried.connect();
  await tried.end();
  await secrets.send(
    new UpdateSecretVersionStageCommand({
      SecretId: role.secretId,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: version,
      RemoveFromVersionId: current,
    }),
  );
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802 and
 * 7677, in PostgreSQL's `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`),
 * computed here as psql's \password does, so the password itself never
 * reaches the server, its statement log or pg_stat_statements. node-postgres
 * keeps its SCRAM code internal. The password must need no SASLprep: the
 * generated ones are base64url.
 */
export function scramSha256Verifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
