import rTracer from 'cls-rtracer';
import { randomUUID } from 'node:crypto';

/** What every log line written while a request is handled carries (the log schema's names). */
export interface RequestContext {
  request_id: string;
  method: string;
  /** Path and query as received. */
  url: string;
  /** The W3C trace id, when a valid `traceparent` header came with the request. */
  trace_id?: string;
  /** The controller method that handles the request, once routing has chosen it. */
  handler?: string;
}

export const REQUEST_ID_HEADER = 'x-request-id';

// Anything else (spaces, quotes, control characters) could forge or break log lines.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is acceptable, otherwise a new UUID v4. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && ACCEPTABLE_REQUEST_ID.test(header) ? header : randomUUID();
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The trace id of a valid W3C traceparent header (version ff, all-zero ids are invalid). */
export function traceIdFrom(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId] = match;
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(parentId)) {
    return undefined;
  }
  return traceId;
}

/** The context of the request being handled, carried by cls-rtracer through every await. */
export function currentRequestContext(): RequestContext | undefined {
  return rTracer.id() as RequestContext | undefined;
}
