import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import { HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpConfig } from '../config/http.config';

const HELMET_OPTIONS: HelmetOptions = {
  // JSON needs no CSP, but the Swagger UI at /api/docs is HTML: its scripts
  // and stylesheet come from this origin and its template has inline <style>.
  contentSecurityPolicy: {
    directives: {
      styleSrc: ["'self'", "'unsafe-inline'"],
      frameAncestors: ["'none'"],
      // The service is plain HTTP behind the ALB unless it has a certificate:
      // upgrading the docs' assets to https would break them.
      upgradeInsecureRequests: null,
    },
  },
  frameguard: { action: 'deny' },
};

/**
 * helmet's headers, worked out once by running its middleware against a
 * recorder. Not @fastify/helmet: it builds helmet's middleware again on every
 * request, parsing each CSP directive, which was 8 % of the CPU of a create
 * request in a profile (bench/profile-summary.mjs); without CSP nonces the
 * headers never vary, so they are a constant here.
 */
function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => {
      headers[name.toLowerCase()] = value;
    },
    // helmet removes X-Powered-By, which Fastify never sets.
    removeHeader: () => undefined,
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}

/**
 * Security headers, CORS and rate limiting, registered on the Fastify instance
 * before Nest adds its routes, so that every route gets them (the headers
 * reach 404s too; the limit does not, a 404 costs no query). The limit counts
 * per client IP in this process's memory. `rateLimitExempt` lists route
 * patterns never limited: the health checks, which the ALB must always reach.
 */
export function registerHttpHardening(
  fastify: FastifyInstance,
  config: HttpConfig,
  rateLimitExempt: readonly string[],
): void {
  const headers = securityHeaders(HELMET_OPTIONS);
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });

  if (config.corsOrigins.length > 0) {
    void fastify.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['Content-Type', 'If-None-Match', 'X-Request-Id', 'traceparent'],
      // Beyond the CORS-safelisted ones, the headers a browser client may read.
      exposedHeaders: [
        'X-Request-Id',
        'ETag',
        'Link',
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ],
      maxAge: 600,
    });
  }

  const limit = config.rateLimit;
  if (limit) {
    const exempt = new Set(rateLimitExempt);
    void fastify.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.windowMs,
      allowList: (request) => exempt.has(request.routeOptions.url ?? ''),
      // Thrown, then answered by HttpErrorFilter in the API's error shape;
      // the plugin has already set Retry-After (seconds).
      errorResponseBuilder: (_request, context) =>
        new HttpException({ error: `Too many requests: retry in ${context.after}` }, HttpStatus.TOO_MANY_REQUESTS),
    });
  }
}
