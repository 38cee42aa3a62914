import { ConfigError } from '@app/config';
import { type ReachableDatabase, resolveDatabaseTarget } from '@app/database';
import {
  createLogging,
  createNestLogger,
  loadLoggingConfig,
  type Logging,
} from '@app/logging';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.factory';
import { type Config, loadConfig } from './config/app.config';

const logger = new Logger('bootstrap');

async function main(logging: Logging, config: Config): Promise<void> {
  const database = await resolveDatabaseTarget(config.database);
  let app: NestFastifyApplication;
  try {
    app = await createApp(config, database.target, logging.root);
    await app.listen(config.app.port, config.app.host);
  } catch (error) {
    await database.stop();
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  logger.log(
    `TaskOverflow listening on http://${config.app.host}:${port}/api/v1 (OpenAPI at /api/docs)`,
  );
  stopOnSignals(app, database, logging, config);
}

/**
 * SIGTERM (ECS, docker stop) or SIGINT (Ctrl-C): stop accepting connections,
 * let in-flight requests finish, close the pool, stop embedded PostgreSQL,
 * then flush the logs (CloudWatch included). A deadline below ECS's 30 s
 * keeps the exit ours, not SIGKILL's.
 */
function stopOnSignals(
  app: NestFastifyApplication,
  database: ReachableDatabase,
  logging: Logging,
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
    let code = 0;
    try {
      await app.close();
      await database.stop();
      logger.log('Stopped');
    } catch (error) {
      logger.error({ err: error, message: 'Shutdown failed' });
      code = 1;
    }
    await logging.close();
    process.exit(code);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => void shutdown(received));
  }
}

/** Even a configuration error is reported as a JSON log line. */
function start(): void {
  let logging: Logging;
  let config: Config;
  try {
    config = loadConfig();
    logging = createLogging(config.logging);
  } catch (error) {
    const fallback = createLogging(loadLoggingConfig({}));
    fallback.root.fatal(
      { location: 'bootstrap', err: error instanceof ConfigError ? undefined : error },
      error instanceof Error ? error.message : String(error),
    );
    process.exit(1);
  }
  Logger.overrideLogger(createNestLogger(logging.root));
  main(logging, config).catch(async (error: unknown) => {
    logger.fatal({
      err: error,
      message: `Start-up failed: ${error instanceof Error ? error.message : String(error)}`,
    });
    await logging.close();
    process.exit(1);
  });
}

start();
