import { rm } from 'node:fs/promises';
import path from 'node:path';

export default async function globalTeardown(): Promise<void> {
  const server = globalThis.testPostgres;
  if (!server) return;
  await server.stop();
  globalThis.testPostgres = undefined;
  await rm(path.dirname(server.dataDir), { recursive: true, force: true });
}
