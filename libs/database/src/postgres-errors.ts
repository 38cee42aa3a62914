import { QueryFailedError } from 'typeorm';
import { QueryDeadlineError } from './query-deadline';

/**
 * PostgreSQL's class 22 ("data exception": a NUL byte in text, a date out of
 * range, a number too large) means the value sent was unacceptable: the
 * client's fault, answered with a 4xx, not the server's.
 */
export function isDataException(error: unknown): error is QueryFailedError {
  return (
    error instanceof QueryFailedError &&
    typeof (error.driverError as { code?: unknown })?.code === 'string' &&
    (error.driverError as { code: string }).code.startsWith('22')
  );
}

/**
 * 23505, unique_violation: the row would duplicate a unique value (a name
 * taken, say). The request conflicts with the data: a 409, not a fault.
 */
export function isUniqueViolation(error: unknown): error is QueryFailedError {
  return error instanceof QueryFailedError && (error.driverError as { code?: unknown })?.code === '23505';
}

/**
 * Why the database could not serve a request, when it is a passing condition
 * rather than a bug: `unavailable` (cannot be reached, shutting down or
 * starting up, out of connections) or `timeout` (no answer, or no free
 * connection, in time). Undefined for anything else.
 */
export type DatabaseFailure = 'unavailable' | 'timeout';

/** Socket errors: nothing listens, the connection broke, the host or its name cannot be reached. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that cannot serve now: class 08 (connection
 * exception), 57P01-57P03 (terminated by an administrator or a crash, cannot
 * connect now: shutting down, starting up, recovering), 53300 (too many connections).
 */
function isUnavailableSqlState(code: string): boolean {
  return /^08|^57P0[123]$|^53300$/.test(code);
}

/** 28P01, invalid_password. */
const REFUSED_PASSWORD = '28P01';

/** 57014, query_canceled: statement_timeout, the only cancel the service causes. */
const STATEMENT_TIMEOUT = '57014';

/**
 * node-postgres and pg-pool raise plain Errors, told apart by their messages
 * only: a pool whose connections are all busy past connectionTimeoutMillis,
 * a connection attempt past it, a connection that broke.
 */
const POOL_TIMEOUT_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
];
const BROKEN_CONNECTION_MESSAGES = [/^Connection terminated/, /is not queryable$/];

export function databaseFailure(error: unknown): DatabaseFailure | undefined {
  const cause: unknown = error instanceof QueryFailedError ? error.driverError : error;
  if (cause instanceof QueryDeadlineError) return 'timeout';
  // Not `instanceof Error`: under Jest, Node's own errors come from another realm.
  if (typeof cause !== 'object' || cause === null) return undefined;
  // A host with several addresses fails with an AggregateError carrying the first one's code.
  const { code, message } = cause as { code?: unknown; message?: unknown };
  if (code === STATEMENT_TIMEOUT) return 'timeout';
  // A rotated password the pool could not pick up yet (its retry read the secret again): retry shortly.
  if (code === REFUSED_PASSWORD) return 'unavailable';
  if (typeof code === 'string' && (NETWORK_ERROR_CODES.has(code) || isUnavailableSqlState(code))) {
    return 'unavailable';
  }
  if (typeof message === 'string') {
    if (POOL_TIMEOUT_MESSAGES.includes(message)) return 'timeout';
    if (BROKEN_CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) return 'unavailable';
  }
  return undefined;
}
