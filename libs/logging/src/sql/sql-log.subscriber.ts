import type { Logger } from 'pino';
import type { AfterQueryEvent, BeforeQueryEvent, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { LoggingConfig } from '../logging.config';
import { roundMs } from '../round-ms';

/**
 * One line per SQL statement, written when it completes, so it has its
 * duration. It runs in the awaited path of the query (not in a callback of
 * the driver), so the request context, and with it request_id, is there.
 * LOG_SQL=false silences routine lines only: slow and failed queries still log.
 */
export class SqlLogSubscriber implements EntitySubscriberInterface {
  private readonly startedAt = new WeakMap<QueryRunner, number>();

  constructor(
    private readonly logger: Logger,
    private readonly options: LoggingConfig['sql'],
  ) {}

  beforeQuery(event: BeforeQueryEvent): void {
    this.startedAt.set(event.queryRunner, performance.now());
  }

  afterQuery(event: AfterQueryEvent): void {
    const started = this.startedAt.get(event.queryRunner);
    this.startedAt.delete(event.queryRunner);
    const durationMs = started === undefined ? (event.executionTime ?? 0) : performance.now() - started;
    const parameters = (event.parameters ?? []) as unknown[];
    const fields = {
      location: 'sql',
      query: event.query,
      duration_ms: roundMs(durationMs),
      parameter_count: parameters.length,
      // Parameter values are user data: only on request.
      ...(this.options.parameters ? { parameters } : {}),
    };
    if (!event.success) {
      const error = event.error as { code?: unknown } | undefined;
      this.logger.error({ ...fields, error_code: error?.code, err: event.error }, 'Query failed');
    } else if (durationMs > this.options.slowQueryMs) {
      this.logger.warn({ ...fields, slow: true }, 'Query');
    } else if (this.options.enabled) {
      this.logger.info(fields, 'Query');
    }
  }
}
