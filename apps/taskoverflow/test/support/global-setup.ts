// Loaded by Jest outside its module system, where the @app aliases do not resolve.
import {
  createDatabaseIfMissing,
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from '../../../../libs/database/src/embedded-postgres';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

declare global {
  var testPostgres: EmbeddedPostgres | undefined;
}

/**
 * Starts one real PostgreSQL server for the end-to-end run and a database for
 * each Jest worker, so that test files running in parallel never share rows.
 * Workers find the server through TEST_POSTGRES_URL.
 */
export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  const runDir = await mkdtemp(path.join(tmpdir(), 'taskoverflow-test-'));
  // As root, PostgreSQL runs as the user postgres, who must be able to enter it.
  await chmod(runDir, 0o755);
  const dataDir = path.join(runDir, 'pg');
  // PostgreSQL's own lines would bury Jest's report: they are shown only if it fails to start.
  const kept: string[] = [];
  const keep = (message: string) => void kept.push(message);
  let server: EmbeddedPostgres;
  try {
    server = await startEmbeddedPostgres(
      { dataDir, port: 0, database: 'postgres' },
      { log: keep, warn: keep, error: keep },
    );
  } catch (error) {
    process.stderr.write(`${kept.join('\n')}\n`);
    throw error;
  }
  globalThis.testPostgres = server;
  for (let worker = 1; worker <= globalConfig.maxWorkers; worker++) {
    await createDatabaseIfMissing(server.adminUrl, `test_${worker}`);
  }
  process.env.TEST_POSTGRES_URL = server.adminUrl;
  // The AWS SDK warns once per process that it will drop Node 20 (the service's image runs
  // Node 24); the test processes are on Node 20 on purpose, so the notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
