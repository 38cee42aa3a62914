import { QueryFailedError } from 'typeorm';

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
