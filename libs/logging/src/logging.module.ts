import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { nestPinoParams } from './nest-logger';
import { ProcessMetrics } from './process-metrics';
import { RequestContextGuard } from './request-context.guard';

/**
 * Makes the root logger injectable (nestjs-pino's PinoLogger and Logger),
 * installs the global guard that completes the request context, and
 * logs the process metrics every `metricsIntervalMs` (0: never).
 */
@Module({})
export class LoggingModule {
  static forRoot(root: Logger, options: { metricsIntervalMs: number }): DynamicModule {
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot(nestPinoParams(root))],
      providers: [
        { provide: APP_GUARD, useClass: RequestContextGuard },
        {
          provide: ProcessMetrics,
          useValue: new ProcessMetrics(root, options.metricsIntervalMs),
        },
      ],
    };
  }
}
