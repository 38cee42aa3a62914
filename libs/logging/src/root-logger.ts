import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import pino, { type DestinationStream, type Logger } from 'pino';
import { currentRequestContext } from './request-context';
import type { LoggingConfig } from './logging.config';

export const SERVICE_NAME = 'taskoverflow';

export interface Logging {
  /** The one pino logger everything writes through. */
  root: Logger;
  /** Flushes and closes what the logger writes to (the CloudWatch shipper among them). */
  close(): Promise<void>;
}

/**
 * The log schema (a contract for Logs Insights queries and tools): one JSON
 * object a line with timestamp, level, pid, location, message; during a
 * request request_id, method, url (and trace_id, handler), otherwise service,
 * version and hostname; errors under `err` with type, message and stack.
 *
 * A request's lines leave out service, version and hostname: they are the
 * same for every line of a process, which says them on its own lines (start,
 * Process metrics, stop) and whose log stream names it. Repeated on every
 * request line they were about a tenth of its bytes (docs/capacity.md).
 */
export function createLogging(
  config: LoggingConfig,
  destination: DestinationStream = pino.destination({ dest: 1, sync: true }),
): Logging {
  const streams: pino.StreamEntry[] = [{ level: config.level, stream: destination }];
  const processFields = {
    location: 'app',
    service: SERVICE_NAME,
    version: config.version ?? packageVersion(),
    hostname: hostname(),
  };
  const cloudWatch = config.cloudWatch && cloudWatchStream(config.cloudWatch);
  if (cloudWatch) streams.push({ level: config.level, stream: cloudWatch });

  const root = pino(
    {
      level: config.level,
      messageKey: 'message',
      errorKey: 'err',
      // Tells apart the processes of one task when WEB_CONCURRENCY > 1.
      base: { pid: process.pid },
      timestamp: isoTimestampOncePerMillisecond(),
      formatters: { level: (label) => ({ level: label }) },
      // Fields of the log call win over these: `location` here is only the default.
      mixin: () => {
        const request = currentRequestContext();
        // A new object each time: pino merges the call's fields into it.
        return request ? { location: 'app', ...request } : { ...processFields };
      },
      serializers: { err: config.sql.parameters ? pino.stdSerializers.err : withoutStatementValues },
    },
    streams.length === 1 ? destination : pino.multistream(streams),
  );

  return {
    root,
    close: async () => {
      root.flush();
      if (cloudWatch) {
        await new Promise<void>((resolve) => {
          cloudWatch.once('close', () => resolve());
          cloudWatch.end();
        });
      }
    },
  };
}

/**
 * pino's timestamp field as ISO 8601, formatted once per millisecond: under
 * load a dozen lines share each millisecond, and formatting a Date was 2% of
 * the service's CPU per request.
 */
function isoTimestampOncePerMillisecond(): () => string {
  let formattedAt = NaN;
  let field = '';
  return () => {
    const now = Date.now();
    if (now !== formattedAt) {
      formattedAt = now;
      field = `,"timestamp":"${new Date(now).toISOString()}"`;
    }
    return field;
  };
}

type ThreadStream = DestinationStream & {
  end(): void;
  once(event: 'close', listener: () => void): void;
};

/** The CloudWatch Logs shipper runs in a worker thread, off the request path. */
function cloudWatchStream(options: NonNullable<LoggingConfig['cloudWatch']>): ThreadStream {
  return pino.transport({
    target: path.join(__dirname, 'cloudwatch', 'cloudwatch-transport.js'),
    options: {
      logGroupName: options.logGroupName,
      logStreamName: options.logStreamName ?? `${hostname()}/${new Date().toISOString().slice(0, 10)}`,
    },
  });
}

/** The version in the project's package.json, found upward from here (src and dist alike). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === SERVICE_NAME && manifest.version) {
        return manifest.version;
      }
    }
  }
  return 'unknown';
}

/**
 * pino's error serializer, less what carries a statement's values: TypeORM's
 * QueryFailedError keeps the `parameters` it was run with, and PostgreSQL's
 * `detail` quotes row values (`Key (title)=(…) already exists`). Logged only
 * with LOG_SQL_PARAMETERS=true, like the parameters of the SQL lines.
 */
function withoutStatementValues(error: Error): pino.SerializedError {
  return strip(pino.stdSerializers.err(error)) as pino.SerializedError;
}

/** A copy without `parameters` and `detail`, at every level: nested errors are the originals, not to be changed. */
function strip(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const { parameters: _parameters, detail: _detail, ...rest } = value as Record<string, unknown>;
  if ('driverError' in rest) rest.driverError = strip(rest.driverError);
  if ('cause' in rest) rest.cause = strip(rest.cause);
  return rest;
}
