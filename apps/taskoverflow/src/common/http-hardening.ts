import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { HttpConfig } from '../config/http.config';

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
  void fastify.register(helmet, {
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
        new HttpException(
          { error: `Too many requests: retry in ${context.after}` },
          HttpStatus.TOO_MANY_REQUESTS,
        ),
    });
  }
}
