import type { LoggerService } from '@nestjs/common';
import { Logger, type Params, PinoLogger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';

/** nestjs-pino's parameters for a logger we create ourselves; Nest's context becomes `location`. */
export function nestPinoParams(root: Pino): Params {
  return {
    pinoHttp: { logger: root },
    renameContext: 'location',
    // The request lifecycle is logged by Fastify hooks (request-tracing.ts), not by pino-http.
    forRoutes: [],
  };
}

/**
 * A Nest LoggerService writing through `root`, usable before the application
 * exists (Logger.overrideLogger, NestFactory's `logger`), so that Nest's own
 * start-up lines are JSON too.
 */
export function createNestLogger(root: Pino): LoggerService {
  const params = nestPinoParams(root);
  return new Logger(new PinoLogger(params), params);
}
