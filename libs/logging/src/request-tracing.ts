import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import rTracer from 'cls-rtracer';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { REQUEST_ID_HEADER, type RequestContext, requestIdFrom, traceIdFrom } from './request-context';
import { roundMs } from './round-ms';

/** Fastify's own request id is the correlation id, so Fastify and our logs agree. */
export function genReqId(request: IncomingMessage): string {
  return requestIdFrom(request.headers[REQUEST_ID_HEADER]);
}

/** HTTP 499 (nginx's "client closed request") for a request abandoned before its answer. */
const CLIENT_CLOSED_REQUEST = 499;

/** When each request started; taken out when its finish line is written, so there is only one. */
const startedAt = new WeakMap<FastifyRequest, number>();

/**
 * Registers, on the Fastify instance and before NestFactory.create (middie
 * must not run first, or its work would happen outside the request's context):
 * cls-rtracer, which carries a RequestContext through every await of the
 * request, then hooks that echo X-Request-Id and write exactly one
 * "Request finished" line per request (and, with `startLine`, one "Request
 * started" line), including those that never reach a controller (unknown
 * route, bad JSON, too large).
 */
export function registerRequestTracing(
  fastify: FastifyInstance,
  logger: Logger,
  options: { startLine: boolean },
): void {
  void fastify.register(rTracer.fastifyPlugin, {
    requestIdFactory: (request: FastifyRequest): RequestContext => {
      const traceId = traceIdFrom(request.headers.traceparent);
      return {
        request_id: request.id,
        method: request.method,
        url: request.url,
        ...(traceId ? { trace_id: traceId } : {}),
      };
    },
  });
  // A plugin of its own so that its hooks run after cls-rtracer's, inside the context.
  void fastify.register(
    fastifyPlugin((instance: FastifyInstance, _options, done) => {
      instance.addHook('onRequest', (request, reply, next) => {
        startedAt.set(request, performance.now());
        void reply.header('X-Request-Id', request.id);
        if (options.startLine) logger.info({ location: 'http' }, 'Request started');
        next();
      });
      instance.addHook('onResponse', (request, reply, next) => {
        logFinish(logger, request, reply.statusCode, reply);
        next();
      });
      instance.addHook('onRequestAbort', (request, next) => {
        logFinish(logger, request, CLIENT_CLOSED_REQUEST);
        next();
      });
      done();
    }),
  );
}

function logFinish(logger: Logger, request: FastifyRequest, statusCode: number, reply?: FastifyReply): void {
  const started = startedAt.get(request);
  if (started === undefined) return;
  startedAt.delete(request);
  const length = Number(reply?.getHeader('content-length'));
  const fields = {
    location: 'http',
    route: request.routeOptions.url,
    status_code: statusCode,
    duration_ms: roundMs(performance.now() - started),
    response_bytes: Number.isFinite(length) ? length : undefined,
    // Who asked: the address the trusted proxy hops (TRUST_PROXY_HOPS) report, and the client's own name.
    client_ip: request.ip,
    user_agent: userAgent(request.headers['user-agent']),
  };
  const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
  logger[level](fields, 'Request finished');
}

/** Long enough for any real client's User-Agent; a longer one is cut, not a way to bloat the log. */
const MAX_USER_AGENT_LENGTH = 256;

function userAgent(header: string | undefined): string | undefined {
  return header === undefined || header.length <= MAX_USER_AGENT_LENGTH
    ? header
    : `${header.slice(0, MAX_USER_AGENT_LENGTH)}…`;
}
