import { boolean, type Env, integer, parseEnv } from '@app/config';
import { z } from 'zod';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const loggingEnv = {
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  // The finish line carries what the start line would (start = timestamp - duration_ms);
  // the start line is only for requests that never finish (a hang, a crash).
  LOG_REQUEST_START: boolean().default(false),
  LOG_SQL: boolean().default(true),
  LOG_SQL_PARAMETERS: boolean().default(false),
  SLOW_QUERY_MS: integer(0, 3_600_000).default(200),
  CLOUDWATCH_LOG_GROUP: z.string().min(1).max(512).optional(),
  CLOUDWATCH_LOG_STREAM: z.string().min(1).max(512).optional(),
  SERVICE_VERSION: z.string().min(1).optional(),
  // 0 turns the periodic "Process metrics" line off.
  LOG_METRICS_INTERVAL_MS: integer(0, 3_600_000).default(10_000),
};

/** The environment variables this feature reads. */
export const LOGGING_VARIABLES = Object.keys(loggingEnv);

export interface LoggingConfig {
  level: LogLevel;
  /** A "Request started" line for every request, besides its finish line. */
  requestStart: boolean;
  sql: { enabled: boolean; parameters: boolean; slowQueryMs: number };
  /** Set when the service ships its own logs to CloudWatch Logs. */
  cloudWatch?: { logGroupName: string; logStreamName?: string };
  /** Overrides the version read from package.json (e.g. a git SHA set at image build). */
  version?: string;
  /** How often each process logs its event loop, CPU and memory; 0: never. */
  metricsIntervalMs: number;
}

export function loadLoggingConfig(env: Env): LoggingConfig {
  const vars = parseEnv('logging', loggingEnv, env);
  return {
    level: vars.LOG_LEVEL,
    requestStart: vars.LOG_REQUEST_START,
    sql: {
      enabled: vars.LOG_SQL,
      parameters: vars.LOG_SQL_PARAMETERS,
      slowQueryMs: vars.SLOW_QUERY_MS,
    },
    cloudWatch: vars.CLOUDWATCH_LOG_GROUP
      ? {
          logGroupName: vars.CLOUDWATCH_LOG_GROUP,
          logStreamName: vars.CLOUDWATCH_LOG_STREAM,
        }
      : undefined,
    version: vars.SERVICE_VERSION,
    metricsIntervalMs: vars.LOG_METRICS_INTERVAL_MS,
  };
}
