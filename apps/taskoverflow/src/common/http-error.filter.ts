import { type DatabaseFailure, databaseFailure, isDataException, isUniqueViolation } from '@app/database';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { type ErrorDetail, RequestValidationError } from './request-validation';

export interface ErrorBody {
  error: string;
  details?: ErrorDetail[];
}

/**
 * Every failure leaves as `{"error": ..., "details"?: [...]}` JSON: thrown by
 * a handler, raised by Fastify before routing (bad JSON, body too large,
 * unknown route), or by the database. Stacks go to the log, never to the client.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = toErrorResponse(error);
    // Answers chosen on purpose (4xx, a 503 from readiness) are not faults worth a stack.
    if (status === HttpStatus.INTERNAL_SERVER_ERROR) {
      this.logger.error({
        err: error,
        message: `Request failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    } else if (status === HttpStatus.SERVICE_UNAVAILABLE && databaseFailure(error)) {
      // During an outage, one line a request with the reason, not a stack.
      this.logger.warn(`${body.error} (${error instanceof Error ? error.message : String(error)})`);
    }
    void reply.status(status).header('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(body));
  }
}

const DATABASE_FAILURE_MESSAGES: Record<DatabaseFailure, string> = {
  unavailable: 'The database is unavailable; try again shortly',
  timeout: 'The database did not answer in time; try again shortly',
};

/** SQLSTATE class 22 (data exception) in words a client can act on. */
const DATA_EXCEPTION_MESSAGES: Record<string, string> = {
  '22001': 'a text is longer than the database can store',
  '22003': 'a number is out of the range the database can store',
  '22007': 'a date or time is not one the database can read',
  '22008': 'a date or time is out of the range the database can store',
  '22021': 'a text holds a character the database cannot store (such as NUL)',
  '22P05': 'a text holds a character the database cannot store',
};
const DATA_EXCEPTION_DEFAULT = 'a value is out of what the database can store';

function sqlState(error: { driverError?: unknown }): string | undefined {
  const code = (error.driverError as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export interface ErrorResponse {
  status: HttpStatus;
  body: ErrorBody;
}

export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof RequestValidationError) {
    return {
      status: HttpStatus.BAD_REQUEST,
      body: { error: error.message, details: error.details },
    };
  }
  if (error instanceof HttpException) {
    return fromHttpException(error);
  }
  if (isUnreadableBody(error)) {
    return {
      status: error.statusCode,
      body: { error: 'The request body could not be read' },
    };
  }
  // A database that is down, restarting, failing over or saturated is a
  // passing condition: 503 tells clients and the load balancer to retry. A
  // statement past its timeout is answered 503 too, not 504, which the ALB
  // itself answers when a target is slow: the two stay told apart.
  const failure = databaseFailure(error);
  if (failure) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { error: DATABASE_FAILURE_MESSAGES[failure] },
    };
  }
  if (isDataException(error)) {
    return {
      status: HttpStatus.BAD_REQUEST,
      body: {
        error: 'The database cannot store a value of this request',
        // Not PostgreSQL's own message, which may quote the schema or other rows.
        details: [{ field: 'body', message: DATA_EXCEPTION_MESSAGES[sqlState(error) ?? ''] ?? DATA_EXCEPTION_DEFAULT }],
      },
    };
  }
  if (isUniqueViolation(error)) {
    return {
      status: HttpStatus.CONFLICT,
      body: { error: 'Conflict: a value of this request must be unique and is taken' },
    };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { error: 'Internal server error' },
  };
}

/**
 * Fastify gives a request body stream that broke off (the client went away or
 * was timed out mid-body) a 4xx `statusCode`: the client's fault, not ours.
 */
function isUnreadableBody(error: unknown): error is { statusCode: number } {
  // Not `instanceof Error`: under Jest, Node's own errors come from another realm.
  const statusCode =
    typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

function fromHttpException(error: HttpException): ErrorResponse {
  const status = error.getStatus() as HttpStatus;
  // Fastify answers 415 to a body that is not JSON; the contract asks for 400.
  if (status === HttpStatus.UNSUPPORTED_MEDIA_TYPE) {
    return {
      status: HttpStatus.BAD_REQUEST,
      body: { error: 'Content-Type must be application/json' },
    };
  }
  const response = error.getResponse();
  if (typeof response === 'object' && response !== null) {
    const {
      error: ours,
      details,
      message,
    } = response as {
      error?: unknown;
      details?: ErrorDetail[];
      message?: unknown;
    };
    // Our own exceptions carry `error`; Nest's built-in ones carry `message`.
    if (typeof ours === 'string' && message === undefined) {
      return { status, body: details ? { error: ours, details } : { error: ours } };
    }
    return {
      status,
      body: {
        error: Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : error.message,
      },
    };
  }
  return { status, body: { error: String(response) } };
}
