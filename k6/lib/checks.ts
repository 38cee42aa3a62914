/**
 * Shared checks.
 *
 * `checkCall` runs k6's `check()` on one request's outcome and, when a check
 * fails, prints that request's X-Request-Id with console.error, e.g.
 *
 *   check failed [status is 201]: POST http://localhost:6400/api/v1/todos answered 500 (request_id=planners-vu3-it12-r1)
 *
 * so that its lines can be pulled out of the service's logs:
 *
 *   jq 'select(.request_id == "planners-vu3-it12-r1")' k6/results/planners-and-studiers.service.log
 *
 * or, on AWS, with the Logs Insights query in docs/observability.md (`filter request_id = "..."`).
 */
import { check } from 'k6';
import { type ApiResponse, header, isApiError } from './client.ts';

/** One named expectation about a request's outcome. */
export type CallCheck<T> = (call: ApiResponse<T>) => boolean;

/**
 * Runs every check (each counts in the `checks` rate and shows in the
 * summary under its name) and reports the failed ones with the request id.
 * A check that throws counts as failed instead of ending the iteration.
 * Returns whether all passed.
 */
export function checkCall<T>(
  call: ApiResponse<T>,
  checks: Record<string, CallCheck<T>>,
  tags?: Record<string, string>,
): boolean {
  const failed: string[] = [];
  const outcomes: Record<string, () => boolean> = {};
  for (const [name, predicate] of Object.entries(checks)) {
    let passed = false;
    try {
      passed = predicate(call) === true;
    } catch {
      passed = false;
    }
    if (!passed) failed.push(name);
    outcomes[name] = () => passed;
  }
  check(call, outcomes, tags);
  if (failed.length > 0) reportFailure(call, failed);
  return failed.length === 0;
}

/** Prints one line naming the failed checks, the request, its answer and its id. */
export function reportFailure<T>(call: ApiResponse<T>, failed: string[]): void {
  const { res } = call;
  // The id the service logged: the one it echoed, else the one sent.
  const requestId = header(res, 'X-Request-Id') ?? call.requestId;
  const answer =
    res.status === 0 ? `got no answer (${res.error || 'no response'})` : `answered ${res.status}${describeBody(call)}`;
  console.error(
    `check failed [${failed.join(', ')}]: ${res.request.method} ${res.request.url} ${answer} (request_id=${requestId})`,
  );
}

function describeBody<T>(call: ApiResponse<T>): string {
  if (isApiError(call.json)) return ` ${JSON.stringify(call.json.error)}`;
  return '';
}

// ---------------------------------------------------------------------------
// Check builders for the common cases

/** The status is one of these. */
export function statusIs<T>(...statuses: number[]): CallCheck<T> {
  return (call) => statuses.includes(call.res.status);
}

/** The body has the shape the method promises (a todo, a list of todos ...). */
export function bodyHasShape<T>(): CallCheck<T> {
  return (call) => call.data !== undefined;
}

/**
 * The body is the API's JSON error body with this `error` (a string is
 * compared exactly, a RegExp matched) and a JSON content type; with
 * `field`, its `details` name that field.
 */
export function errorIs<T>(error: string | RegExp, field?: string): CallCheck<T> {
  return (call) => {
    const body = call.json;
    if (!isApiError(body)) return false;
    if (!(header(call.res, 'Content-Type') ?? '').startsWith('application/json')) return false;
    const matches = typeof error === 'string' ? body.error === error : error.test(body.error);
    if (!matches) return false;
    return field === undefined || (body.details ?? []).some((detail) => detail.field === field);
  };
}

/** The answer echoes the X-Request-Id it was sent with. */
export function echoesRequestId<T>(): CallCheck<T> {
  return (call) => header(call.res, 'X-Request-Id') === call.requestId;
}
