import { ConfigError } from '@app/config';
import { resolveDatabaseTarget } from '@app/database';
import type { Logging } from '@app/logging';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { createApp } from '../app.factory';
import type { Config } from '../config/app.config';
import { shutDown, stopBeforeServing } from './graceful-shutdown';
import { HttpDrain } from './http-drain';
import type { StopSignals } from './stop-signals';

const logger = new Logger('bootstrap');

/** One process serving HTTP: the whole service, or one worker of a cluster. */
export async function runServer(logging: Logging, config: Config, stop: StopSignals): Promise<void> {
  // The deadline runs from the signal, even one received during start-up.
  void stop.received.then(() =>
    setTimeout(() => {
      logger.error(`Shutdown did not finish within ${config.app.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.app.shutdownTimeoutMs).unref(),
  );
  const database = await resolveDatabaseTarget(config.database);
  let app: NestFastifyApplication | undefined;
  try {
    if (stop.signal === undefined) {
      app = await createApp(config, database.target, logging.root, { drainsConnectionsItself: true });
    }
  } catch (error) {
    await database.stop();
    throw error;
  }
  if (app === undefined || stop.signal !== undefined) {
    await app?.close();
    return stopBeforeServing(database, logging);
  }
  const drain = new HttpDrain(app.getHttpServer());
  try {
    await app.listen(config.app.port, config.app.host);
  } catch (error) {
    await app.close();
    await database.stop();
    throw listenError(error, config);
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  logger.log(`TaskOverflow listening on http://${config.app.host}:${port}/api/v1 (OpenAPI at /api/docs)`);
  const keys = config.auth.apiKeys.length;
  logger.log(
    keys > 0
      ? `API keys required (${keys} accepted) on every route but the health checks and /api/docs`
      : 'No API keys: every route is open (set API_KEYS to require one)',
  );
  void stop.received.then((signal) => shutDown(signal, { app, drain, database, logging, config }));
}

/** What the operator can do about a port the service cannot listen on, or the error as it is. */
function listenError(error: unknown, config: Config): unknown {
  const { port, host } = config.app;
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new ConfigError(`PORT ${port} is in use: set PORT to another port`);
    case 'EACCES':
      return new ConfigError(`PORT ${port} needs privileges this process lacks: set PORT to 1024 or above`);
    case 'EADDRNOTAVAIL':
      return new ConfigError(`HOST ${host} is not an address of this machine: set HOST to one (0.0.0.0 for all)`);
    default:
      return error;
  }
}
