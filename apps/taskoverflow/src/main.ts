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
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from './app.factory';
import { type Config, loadConfig } from './config/app.config';
import { HttpDrain } from './lifecycle/http-drain';
import { StopSignals } from './lifecycle/stop-signals';

const logger = new Logger('bootstrap');

/** One process serving HTTP: the whole service, or one worker of a cluster. */
async function runServer(logging: Logging, config: Config, stop: StopSignals): Promise<void> {
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
  logger.log(
    `TaskOverflow listening on http://${config.app.host}:${port}/api/v1 (OpenAPI at /api/docs)`,
  );
  void stop.received.then((signal) => drainAndStop(signal, app, drain, database, logging, config));
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

/** A stop signal came during start-up, before anything was served. */
async function stopBeforeServing(database: ReachableDatabase, logging: Logging): Promise<never> {
  logger.log('Stop signal received during start-up: stopping');
  await database.stop();
  logger.log('Stopped');
  return exitAfterClosingLogs(logging, 0);
}

/**
 * Kept at the end of SHUTDOWN_TIMEOUT_MS (half of it when shorter) for
 * closing the pool, stopping embedded PostgreSQL and flushing the logs: the
 * CloudWatch shipper allows itself 5 s.
 */
const SHUTDOWN_FINISH_MS = 5000;
const CUT_OFF_REQUESTS_GRACE_MS = 100;

/**
 * SIGTERM (ECS, docker stop), SIGINT (Ctrl-C) or SIGHUP: stop accepting
 * connections once the accept queue is empty, answer every request already
 * sent (HttpDrain), close the pool, stop embedded PostgreSQL, then flush the
 * logs (CloudWatch included). A deadline below ECS's 30 s keeps the exit
 * ours, not SIGKILL's. A client that stalls mid-request (a body that never
 * completes) would hold the drain until REQUEST_TIMEOUT_MS, beyond that
 * deadline: once the drain's share of it is spent, connections still open
 * are closed and the shutdown goes on, logs flushed, exiting 1.
 */
async function drainAndStop(
  signal: NodeJS.Signals,
  app: NestFastifyApplication,
  drain: HttpDrain,
  database: ReachableDatabase,
  logging: Logging,
  config: Config,
): Promise<never> {
  logger.log(`${signal} received: draining in-flight requests`);
  await drain.stopAccepting();
  // Connections close as they fall idle; otherwise keep-alive clients would hold the drain.
  const idle = new AbortController();
  void drain.closeIdleConnections(idle.signal);
  const drainMs =
    config.app.shutdownTimeoutMs -
    Math.min(SHUTDOWN_FINISH_MS, config.app.shutdownTimeoutMs / 2);
  let code = 0;
  const drainDeadline = setTimeout(() => {
    logger.error(`Requests still open after ${drainMs} ms; closing their connections`);
    code = 1;
    drain.closeAll();
  }, drainMs).unref();
  try {
    await app.close();
    clearTimeout(drainDeadline);
    idle.abort();
    // A request cut off writes its last line (499) some turns of the event
    // loop after its socket closed: let it, before the logs are closed.
    if (code !== 0) await sleep(CUT_OFF_REQUESTS_GRACE_MS);
    await database.stop();
    logger.log('Stopped');
  } catch (error) {
    logger.error({ err: error, message: 'Shutdown failed' });
    code = 1;
  }
  return exitAfterClosingLogs(logging, code);
}

/**
 * Flushes the logs (the CloudWatch shipper allows itself 5 s), then exits
 * with `code`. The shipper's worker thread does not keep the process alive:
 * without the timer here the process would end as soon as the main thread
 * had nothing left to do, before close() resolved, with exit code 0 whatever
 * `code` was. The timer also exits should close() never resolve.
 */
async function exitAfterClosingLogs(logging: Logging, code: number): Promise<never> {
  setTimeout(() => process.exit(code), SHUTDOWN_FINISH_MS + 1000);
  await logging.close();
  process.exit(code);
}

/**
 * WEB_CONCURRENCY > 1 (by default, a task with more than one vCPU): this
 * process forks that many workers, which share the port (node:cluster), and
 * supervises them. An embedded PostgreSQL is started
 * here, once, for all of them; migrations are safe to run in each (they take
 * an advisory lock). A worker that dies after start-up is replaced; one that
 * dies during start-up (bad database, say) stops the whole service. SIGTERM
 * and SIGINT are passed on, and the primary exits when every worker has.
 */
async function runPrimary(logging: Logging, config: Config, stopSignals: StopSignals): Promise<void> {
  const database = await resolveDatabaseTarget(config.database);
  if (stopSignals.signal !== undefined) return stopBeforeServing(database, logging);
  const workers = config.app.webConcurrency;
  // DB_POOL_SIZE is the task's budget of connections, shared out among the
  // workers, so the database's connection limit sees the same total whatever
  // the task size (each worker needs one).
  const poolSize = Math.max(1, Math.floor(config.database.poolSize / workers));
  const workerEnv = {
    DB_POOL_SIZE: String(poolSize),
    ...(database.target.kind === 'url' ? { DATABASE_URL: database.target.url } : {}),
  };
  const started = new Set<number>();
  let stopping = false;

  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter(
      (worker): worker is Worker => worker !== undefined,
    );
    const deadline = setTimeout(() => {
      logger.error(
        `Workers did not stop within ${config.app.shutdownTimeoutMs} ms; killing them`,
      );
      for (const worker of workers) worker.process.kill('SIGKILL');
    }, config.app.shutdownTimeoutMs).unref();
    const exits = workers.map(
      (worker) =>
        new Promise<number>((resolve) => {
          if (worker.isDead()) return resolve(worker.process.exitCode ?? 1);
          // A worker still loading its code has no handler yet: the SIGTERM ends it, a clean stop too.
          worker.once('exit', (exitCode, signal) =>
            resolve(signal === 'SIGTERM' && !started.has(worker.id) ? 0 : (exitCode ?? 1)),
          );
          worker.process.kill('SIGTERM');
        }),
    );
    const failed = (await Promise.all(exits)).some((exitCode) => exitCode !== 0);
    clearTimeout(deadline);
    await database.stop();
    logger.log('Stopped');
    await exitAfterClosingLogs(logging, code || (failed ? 1 : 0));
  };

  cluster.on('listening', (worker) => started.add(worker.id));
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (!started.has(worker.id)) {
      logger.fatal(
        `Worker ${worker.process.pid} exited during start-up (${code ?? signal}); stopping`,
      );
      void stop(1);
      return;
    }
    logger.error(`Worker ${worker.process.pid} exited (${code ?? signal}); starting another`);
    cluster.fork(workerEnv);
  });
  for (let i = 0; i < workers; i++) cluster.fork(workerEnv);
  logger.log(
    `Started ${workers} worker processes with ${poolSize} database connections each`,
  );
  void stopSignals.received.then((signal) => {
    logger.log(`${signal} received: stopping the workers`);
    return stop(0);
  });
}

/** Even a configuration error is reported as a JSON log line. */
function start(): void {
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
  const run =
    cluster.isPrimary && config.app.webConcurrency > 1 ? runPrimary : runServer;
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
