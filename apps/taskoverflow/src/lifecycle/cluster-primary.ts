import { resolveDatabaseTarget } from '@app/database';
import type { Logging } from '@app/logging';
import { Logger } from '@nestjs/common';
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/app.config';
import { exitAfterFlushingLogs } from './exit';
import { stopBeforeServing } from './graceful-shutdown';
import type { StopSignals } from './stop-signals';

const logger = new Logger('bootstrap');

/**
 * WEB_CONCURRENCY > 1 (by default, a task with more than one vCPU): this
 * process forks that many workers, which share the port (node:cluster), and
 * supervises them. An embedded PostgreSQL is started
 * here, once, for all of them; migrations are safe to run in each (they take
 * an advisory lock). A worker that dies after start-up is replaced; one that
 * dies during start-up (bad database, say) stops the whole service. SIGTERM
 * and SIGINT are passed on, and the primary exits when every worker has.
 */
export async function runPrimary(logging: Logging, config: Config, stopSignals: StopSignals): Promise<void> {
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
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    const deadline = setTimeout(() => {
      logger.error(`Workers did not stop within ${config.app.shutdownTimeoutMs} ms; killing them`);
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
    await exitAfterFlushingLogs(logging, code || (failed ? 1 : 0));
  };

  cluster.on('listening', (worker) => started.add(worker.id));
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (!started.has(worker.id)) {
      logger.fatal(`Worker ${worker.process.pid} exited during start-up (${code ?? signal}); stopping`);
      void stop(1);
      return;
    }
    logger.error(`Worker ${worker.process.pid} exited (${code ?? signal}); starting another`);
    cluster.fork(workerEnv);
  });
  for (let i = 0; i < workers; i++) cluster.fork(workerEnv);
  logger.log(`Started ${workers} worker processes with ${poolSize} database connections each`);
  void stopSignals.received.then((signal) => {
    logger.log(`${signal} received: stopping the workers`);
    return stop(0);
  });
}
