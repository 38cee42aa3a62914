/**
 * The service's entry point: configuration and logging first (even their errors
 * are JSON log lines), then one HTTP server or, with WEB_CONCURRENCY > 1, a
 * cluster primary (lifecycle/). Stop signals are caught from the first line.
 */
import { ConfigError } from '@app/config';
import { createLogging, createNestLogger, loadLoggingConfig, type Logging } from '@app/logging';
import { Logger } from '@nestjs/common';
import cluster from 'node:cluster';
import { type Config, loadConfig } from './config/app.config';
import { runPrimary } from './lifecycle/cluster-primary';
import { limitHeapGrowth } from './lifecycle/heap-growth';
import { runServer } from './lifecycle/http-server';
import { StopSignals } from './lifecycle/stop-signals';

const logger = new Logger('bootstrap');

/** Even a configuration error is reported as a JSON log line. */
function start(): void {
  limitHeapGrowth();
  const stopSignals = new StopSignals();
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
  const run = cluster.isPrimary && config.app.webConcurrency > 1 ? runPrimary : runServer;
  run(logging, config, stopSignals).catch(async (error: unknown) => {
    // A configuration problem is the operator's to fix: its message, without a stack.
    logger.fatal(
      error instanceof ConfigError
        ? error.message
        : { err: error, message: `Start-up failed: ${error instanceof Error ? error.message : String(error)}` },
    );
    await logging.close();
    process.exit(1);
  });
}

start();
