import type { DynamicModule, LoggerService } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyHttpOptions, RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import type { LoggingConfig } from './logging.config';
import { LoggingModule } from './logging.module';
import { createNestLogger } from './nest-logger';
import { genReqId, registerRequestTracing } from './request-tracing';
import { createSqlInstrumentation } from './sql/sql-instrumentation';

/** Fastify's server options (an HTTP/1.1 server); `genReqId` is tracing's own. */
export type FastifyAdapterOptions = Omit<FastifyHttpOptions<RawServerDefault>, 'genReqId'>;

/** Everything the application plugs in to follow a request from its first log line to its last SQL statement. */
export interface Tracing {
  /**
   * The adapter for NestFactory.create, created traced: the request id is
   * Fastify's own (genReqId), and cls-rtracer and the start and finish lines
   * are registered before Nest (and its middleware) can run first.
   */
  adapter: FastifyAdapter;
  /** For the application module's imports: the injectable logger, the request-context guard, process metrics. */
  module: DynamicModule;
  /** For the database module: SQL log lines and the sqlcommenter comment, under the request's id. */
  sql: ReturnType<typeof createSqlInstrumentation>;
  /** NestFactory.create's `logger`: Nest's own lines as JSON through the root logger. */
  nestLogger: LoggerService;
}

/**
 * Request tracing, wired in one call. The order that matters (the tracing
 * hooks registered on Fastify before NestFactory.create) is kept by making
 * the adapter here: an application cannot get an untraced one.
 */
export function createTracing(root: Logger, config: LoggingConfig, adapterOptions: FastifyAdapterOptions): Tracing {
  const adapter = new FastifyAdapter({ ...adapterOptions, genReqId });
  registerRequestTracing(adapter.getInstance(), root, { startLine: config.requestStart });
  return {
    adapter,
    module: LoggingModule.forRoot(root, config),
    sql: createSqlInstrumentation(root, config),
    nestLogger: createNestLogger(root),
  };
}
