import { spawn } from 'node:child_process';
import { buildClientConfig } from '../data-source-options';
import { loadDatabaseConfig } from '../database.config';
import { resolveDatabaseTarget } from '../database-target';

/*
 * Usage: node with-database.js <command> [arguments...]
 *
 * Runs a command (the TypeORM CLI, a benchmark) against the configured
 * database. When neither DATABASE_URL nor DB_HOST is set it starts the same
 * embedded PostgreSQL as `npm start`, passes its URL in DATABASE_URL, and
 * stops it when the command ends. Exits with the command's exit code.
 */
async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error('usage: with-database <command> [arguments...]');
    return 2;
  }
  const config = loadDatabaseConfig(process.env);
  const database = await resolveDatabaseTarget(config);
  try {
    const { connectionString } = buildClientConfig(database.target, false);
    const env = connectionString ? { ...process.env, DATABASE_URL: connectionString } : process.env;
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(command, args, { stdio: 'inherit', env });
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    await database.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
