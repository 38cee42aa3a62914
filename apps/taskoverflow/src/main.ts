import { ConfigError } from '@app/config';
import { type ReachableDatabase, resolveDatabaseTarget } from '@app/database';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.factory';
import { type Config, loadConfig } from './config/app.config';

const logger = new Logger('bootstrap');

async function main(): Promise<void> {
  const config = loadConfig();
  const database = await resolveDatabaseTarget(config.database);
  let app: NestFastifyApplication;
  try {
    app = await createApp(config, database.target);
    await app.listen(config.app.port, config.app.host);
  } catch (error) {
    await database.stop();
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  logger.log(
    `TaskOverflow listening on http://${config.app.host}:${port}/api/v1 (OpenAPI at /api/docs)`,
  );
  stopOnSignals(app, database, config);
}

/**
 * SIGTERM (ECS, docker stop) or SIGINT (Ctrl-C): stop accepting connections,
 * let in-flight requests finish, close the pool, then stop embedded
 * PostgreSQL. A deadline below ECS's 30 s keeps the exit ours, not SIGKILL's.
 */
function stopOnSignals(
  app: NestFastifyApplication,
  database: ReachableDatabase,
  config: Config,
): void {
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    logger.log(`${signal} received: draining in-flight requests`);
    setTimeout(() => {
      logger.error(
        `Shutdown did not finish within ${config.app.shutdownTimeoutMs} ms; exiting`,
      );
      process.exit(1);
    }, config.app.shutdownTimeoutMs).unref();
    try {
      await app.close();
      await database.stop();
      logger.log('Stopped');
      process.exit(0);
    } catch (error) {
      logger.error(`Shutdown failed: ${describe(error)}`);
      process.exit(1);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => void shutdown(received));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

main().catch((error: unknown) => {
  logger.error(
    error instanceof ConfigError
      ? error.message
      : `Start-up failed: ${describe(error)}`,
  );
  process.exit(1);
});
