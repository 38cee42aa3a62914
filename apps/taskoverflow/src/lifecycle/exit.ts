import type { Logging } from '@app/logging';

/**
 * Kept at the end of SHUTDOWN_TIMEOUT_MS (half of it when shorter) for
 * closing the pool, stopping embedded PostgreSQL and flushing the logs: the
 * CloudWatch shipper allows itself 5 s.
 */
export const SHUTDOWN_FINISH_MS = 5000;

/**
 * The last phase of every stop: flushes the logs (the CloudWatch shipper
 * allows itself 5 s), then exits with `code`. The shipper's worker thread
 * does not keep the process alive: without the timer here the process would
 * end as soon as the main thread had nothing left to do, before close()
 * resolved, with exit code 0 whatever `code` was. The timer also exits
 * should close() never resolve.
 */
export async function exitAfterFlushingLogs(logging: Logging, code: number): Promise<never> {
  setTimeout(() => process.exit(code), SHUTDOWN_FINISH_MS + 1000);
  await logging.close();
  process.exit(code);
}
