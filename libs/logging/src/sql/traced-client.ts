import type { Logger } from 'pino';
import type { Client, QueryConfig } from 'pg';
import type { LoggingConfig } from '../logging.config';
import { currentRequestContext } from '../request-context';
import { roundMs } from '../round-ms';

/** Request ids that URL-encoding leaves as they are: every UUID and most callers' ids. */
const URL_SAFE = /^[A-Za-z0-9._-]+$/;

/**
 * A sqlcommenter-style comment (https://google.github.io/sqlcommenter/) naming
 * the request that issues a statement, so that PostgreSQL's own logs,
 * pg_stat_activity and RDS Performance Insights show it. It goes first, not
 * last as sqlcommenter has it: pg_stat_activity keeps only the first
 * track_activity_query_size bytes (1 KiB by default), and the list query is longer.
 */
export function requestComment(): string | undefined {
  const context = currentRequestContext();
  if (context === undefined) return undefined;
  const id = context.request_id;
  // Built per statement: remembering it per request in a WeakMap cost more than this.
  const value = URL_SAFE.test(id) ? id : encodeURIComponent(id).replaceAll("'", "\\'");
  return `/*request_id='${value}'*/`;
}

type SqlLogOptions = LoggingConfig['sql'];

/**
 * `Base` (node-postgres' Client, or a subclass) tracing every statement it
 * sends: the request's comment goes in front, and one line is logged when the
 * statement completes, with its duration, under the request's id. Here and
 * not in TypeORM, so that statements sent through TypeORM and straight
 * through the pool are traced alike, once. LOG_SQL=false silences routine
 * lines only: slow and failed statements still log.
 */
export function tracedClient(Base: typeof Client, logger: Logger, options: SqlLogOptions): typeof Client {
  class TracedClient extends Base {}
  // pg's query() has many overloads; all of them take the statement first.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the client as `this`
  const query = Base.prototype.query as (this: Client, ...args: unknown[]) => unknown;
  TracedClient.prototype.query = function (this: Client, config: unknown, ...rest: unknown[]) {
    const text = typeof config === 'string' ? config : (config as QueryConfig | undefined)?.text;
    if (text === undefined) return query.call(this, config, ...rest);
    const startedAt = performance.now();
    const result = query.call(this, withComment(config, text, requestComment()), ...rest);
    // The promise form (TypeORM's, the statement runner's) is logged; pg-pool's
    // callback form and submittables (cursors, streams) pass with the comment only.
    if (typeof (result as Promise<unknown> | undefined)?.then !== 'function') return result;
    const parameters = (Array.isArray(rest[0]) ? rest[0] : ((config as QueryConfig).values ?? [])) as unknown[];
    // The callbacks run in the request's context (a promise reaction keeps the
    // one it was created in), so the line carries its request_id.
    return (result as Promise<unknown>).then(
      (value) => {
        logCompleted(logger, options, text, parameters, performance.now() - startedAt);
        return value;
      },
      (error: unknown) => {
        logFailed(logger, options, text, parameters, performance.now() - startedAt, error);
        throw error;
      },
    );
  } as Client['query'];
  return TracedClient;
}

function withComment(config: unknown, text: string, comment: string | undefined): unknown {
  if (comment === undefined) return config;
  return typeof config === 'string' ? `${comment} ${text}` : { ...(config as QueryConfig), text: `${comment} ${text}` };
}

function statementFields(options: SqlLogOptions, query: string, parameters: unknown[], durationMs: number) {
  return {
    location: 'sql',
    query,
    duration_ms: roundMs(durationMs),
    parameter_count: parameters.length,
    // Parameter values are user data: only on request.
    ...(options.parameters ? { parameters } : {}),
  };
}

function logCompleted(
  logger: Logger,
  options: SqlLogOptions,
  query: string,
  parameters: unknown[],
  durationMs: number,
) {
  if (durationMs > options.slowQueryMs) {
    logger.warn({ ...statementFields(options, query, parameters, durationMs), slow: true }, 'Query');
  } else if (options.enabled) {
    logger.info(statementFields(options, query, parameters, durationMs), 'Query');
  }
}

function logFailed(
  logger: Logger,
  options: SqlLogOptions,
  query: string,
  parameters: unknown[],
  durationMs: number,
  error: unknown,
) {
  const fields = statementFields(options, query, parameters, durationMs);
  logger.error({ ...fields, error_code: (error as { code?: unknown } | undefined)?.code, err: error }, 'Query failed');
}
