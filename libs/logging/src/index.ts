// The library's public API: configuration, the root logger, and request tracing wired in one call.
export { LOGGING_VARIABLES, type LoggingConfig, loadLoggingConfig } from './logging.config';
export { createNestLogger } from './nest-logger';
export { createLogging, type Logging, SERVICE_NAME } from './root-logger';
export { createTracing, type FastifyAdapterOptions, type Tracing } from './tracing';
