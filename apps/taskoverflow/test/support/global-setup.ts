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
export default async function globalSetup(globalConfig: {
  maxWorkers: number;
}): Promise<void> {
  const runDir = await mkdtemp(path.join(tmpdir(), 'taskoverflow-test-'));
  // As root, PostgreSQL runs as the user postgres, who must be able to enter it.
  await chmod(runDir, 0o755);
  const dataDir = path.join(runDir, 'pg');
  const server = await startEmbeddedPostgres({
    dataDir,
    port: 0,
    database: 'postgres',
  });
  globalThis.testPostgres = server;
  for (let worker = 1; worker <= globalConfig.maxWorkers; worker++) {
    await createDatabaseIfMissing(server.adminUrl, `test_${worker}`);
  }
  process.env.TEST_POSTGRES_URL = server.adminUrl;
}
