import type { ReachableDatabase } from '@app/database';
import type { Logging } from '@app/logging';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/app.config';
import { exitAfterFlushingLogs, SHUTDOWN_FINISH_MS } from './exit';
import type { HttpDrain } from './http-drain';

const logger = new Logger('bootstrap');
const CUT_OFF_REQUESTS_GRACE_MS = 100;

export interface RunningServer {
  app: NestFastifyApplication;
  drain: HttpDrain;
  database: ReachableDatabase;
  logging: Logging;
  config: Config;
}

/**
 * SIGTERM (ECS, docker stop), SIGINT (Ctrl-C) or SIGHUP, in phases:
 * stop accepting (once the accept queue is empty) → drain (every request
 * already sent is answered) → close the pool → stop embedded PostgreSQL →
 * flush the logs (CloudWatch included), last so that every line before it
 * arrives. A deadline below ECS's 30 s keeps the exit ours, not SIGKILL's.
 */
export async function shutDown(signal: NodeJS.Signals, server: RunningServer): Promise<never> {
  logger.log(`${signal} received: draining in-flight requests`);
  let code = 0;
  try {
    await server.drain.stopAccepting();
    const drained = await drainRequests(server);
    await server.database.stop();
    logger.log('Stopped');
    code = drained ? 0 : 1;
  } catch (error) {
    logger.error({ err: error, message: 'Shutdown failed' });
    code = 1;
  }
  return exitAfterFlushingLogs(server.logging, code);
}

/**
 * Waits for every request already sent to be answered, then closes the
 * application and with it the database pool (Nest's close does both, in
 * that order). Connections close as they fall idle, or keep-alive clients
 * would hold the drain. A client that stalls mid-request (a body that never
 * completes) would hold it until REQUEST_TIMEOUT_MS, beyond the shutdown
 * deadline: once the drain's share of it is spent, the connections still
 * open are closed. False when that happened.
 */
async function drainRequests({ app, drain, config }: RunningServer): Promise<boolean> {
  const idle = new AbortController();
  void drain.closeIdleConnections(idle.signal);
  const drainMs = config.app.shutdownTimeoutMs - Math.min(SHUTDOWN_FINISH_MS, config.app.shutdownTimeoutMs / 2);
  const closed = app.close();
  const deadline = new AbortController();
  const inTime = await Promise.race([
    closed.then(() => true),
    sleep(drainMs, false, { signal: deadline.signal }).catch(() => false),
  ]);
  deadline.abort();
  if (!inTime) {
    logger.error(`Requests still open after ${drainMs} ms; closing their connections`);
    drain.closeAll();
  }
  await closed;
  idle.abort();
  // A request cut off writes its last line (499) some turns of the event
  // loop after its socket closed: let it, before the logs are closed.
  if (!inTime) await sleep(CUT_OFF_REQUESTS_GRACE_MS);
  return inTime;
}

/** A stop signal came during start-up, before anything was served. */
export async function stopBeforeServing(database: ReachableDatabase, logging: Logging): Promise<never> {
  logger.log('Stop signal received during start-up: stopping');
  await database.stop();
  logger.log('Stopped');
  return exitAfterFlushingLogs(logging, 0);
}
