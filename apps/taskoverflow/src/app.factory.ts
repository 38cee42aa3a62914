import type { ConnectionTarget } from '@app/database';
import { createTracing } from '@app/logging';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { requireApiKeys } from './auth/api-key-auth';
import { HttpErrorFilter } from './common/http-error.filter';
import { registerHttpHardening } from './common/http-hardening';
import { answerUndeclaredMethods } from './common/method-not-allowed';
import { answerClientError, answerFrameworkError, answerUnmetExpectation } from './common/low-level-errors';
import { useJsonBodies } from './common/json-body';
import { setUpOpenApi } from './common/openapi';
import { useRequestValidation } from './common/request-validation';
import type { Config } from './config/app.config';

export const API_PREFIX = 'api/v1';
export const DOCS_PATH = 'api/docs';
export const BODY_LIMIT_BYTES = 16 * 1024;
/** Above the ALB's 60 s idle timeout, so the ALB, not Node, closes idle connections (no 502s). */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** How often Node looks for requests past their deadline; its 30 s default would let them overstay. */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;
/** Never rate limited: the load balancer's health checks must always get through. */
const HEALTH_ROUTES = [`/${API_PREFIX}/health`, `/${API_PREFIX}/health/ready`];

export interface AppOptions {
  /** Mounted beside the app's own modules (tests plant routes with it). */
  extraModules?: DynamicModule[];
  /**
   * The service's shutdown drains connections itself (HttpDrain): Fastify's
   * close must then neither close idle connections nor answer 503.
   */
  drainsConnectionsItself?: boolean;
}

/** Builds and initialises the application; the caller decides when to listen. */
export async function createApp(
  config: Config,
  database: ConnectionTarget,
  logger: Logger,
  { extraModules = [], drainsConnectionsItself = false }: AppOptions = {},
): Promise<NestFastifyApplication> {
  const tracing = createTracing(logger, config.logging, {
    ...(drainsConnectionsItself ? { forceCloseConnections: false, return503OnClosing: false } : {}),
    bodyLimit: BODY_LIMIT_BYTES,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: config.http.requestTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    trustProxy: config.http.trustProxyHops,
    // `/api/v1/todos/` is the list, not a todo with an empty id.
    routerOptions: { ignoreTrailingSlash: true },
  });
  const fastify = tracing.adapter.getInstance();
  fastify.server.on('checkExpectation', answerUnmetExpectation);
  registerHttpHardening(fastify, config.http, HEALTH_ROUTES);
  if (config.auth.apiKeys.length > 0) {
    const open = new Set(HEALTH_ROUTES);
    // The load balancer's health checks, and the API's documents, which a client needs before it has a key.
    requireApiKeys(
      fastify,
      config.auth.apiKeys,
      (request) => open.has(request.routeOptions.url ?? '') || request.url.startsWith(`/${DOCS_PATH}`),
    );
  }
  answerUndeclaredMethods(fastify);
  useRequestValidation(fastify);
  useJsonBodies(fastify);
  // JSON is the only body this API takes; anything else is answered 400.
  fastify.removeContentTypeParser('text/plain');

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, database, tracing, extraModules),
    tracing.adapter,
    // bodyParser: false keeps Nest from adding a form-urlencoded parser.
    { logger: tracing.nestLogger, bodyParser: false, abortOnError: false },
  );
  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalFilters(new HttpErrorFilter());
  setUpOpenApi(app, { docsPath: DOCS_PATH, openRoutes: HEALTH_ROUTES, bearerAuth: config.auth.apiKeys.length > 0 });
  await app.init();
  return app;
}
