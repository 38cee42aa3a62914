import { type DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { nestPinoParams } from './nest-logger';
import { ProcessMetrics } from './process-metrics';
import { RequestContextInterceptor } from './request-context.interceptor';

/**
 * Makes the root logger injectable (nestjs-pino's PinoLogger and Logger),
 * installs the global interceptor that completes the request context, and
 * logs the process metrics every `metricsIntervalMs` (0: never).
 */
@Module({})
export class LoggingModule {
  static forRoot(root: Logger, options: { metricsIntervalMs: number }): DynamicModule {
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot(nestPinoParams(root))],
      providers: [
        { provide: APP_INTERCEPTOR, useClass: RequestContextInterceptor },
        {
          provide: ProcessMetrics,
          useValue: new ProcessMetrics(root, options.metricsIntervalMs),
        },
      ],
    };
  }
}
