import type { LogLine } from '../src/log-line';

export interface SyntheticQuery {
  query: string;
  /** When it was sent, from the request's start. */
  atMs: number;
  durationMs: number;
  errorCode?: string;
}

export interface SyntheticRequest {
  id: string;
  method?: string;
  route?: string;
  url?: string;
  /** Epoch milliseconds of the request's start. */
  startMs: number;
  /** Whether the service wrote a start line (LOG_REQUEST_START; off by default, as in the service). */
  startLine?: boolean;
  durationMs: number;
  status?: number;
  queries?: SyntheticQuery[];
}

const BASE = { service: 'taskoverflow', version: '0.1.0', hostname: 'test', pid: 1 };

/** The lines the service writes for one request, in the log schema of docs/observability.md, in time order. */
export function requestLines(request: SyntheticRequest): LogLine[] {
  const method = request.method ?? 'GET';
  const route = request.route ?? '/api/v1/todos';
  const url = request.url ?? route;
  const context = { ...BASE, request_id: request.id, method, url };
  const at = (ms: number) => new Date(request.startMs + ms).toISOString();
  const status = request.status ?? 200;
  const lines: LogLine[] = request.startLine
    ? [{ ...context, level: 'info', timestamp: at(0), location: 'http', message: 'Request started' }]
    : [];
  for (const q of request.queries ?? []) {
    lines.push({
      ...context,
      level: q.errorCode ? 'error' : 'info',
      // Written when the statement completes, at millisecond precision as pino writes it.
      timestamp: at(Math.round(q.atMs + q.durationMs)),
      location: 'sql',
      message: q.errorCode ? 'Query failed' : 'Query',
      query: `/*request_id='${request.id}'*/ ${q.query}`,
      duration_ms: q.durationMs,
      parameter_count: 1,
      ...(q.errorCode ? { error_code: q.errorCode } : {}),
    });
  }
  lines.push({
    ...context,
    level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
    timestamp: at(Math.round(request.durationMs)),
    location: 'http',
    message: 'Request finished',
    route,
    status_code: status,
    duration_ms: request.durationMs,
    response_bytes: 2,
  });
  return lines;
}

/** Many requests' lines merged by time, as one process's stdout interleaves them. */
export function logOf(requests: SyntheticRequest[]): LogLine[] {
  return requests.flatMap(requestLines).sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
}

export const LIST_QUERY = 'SELECT id, title FROM todos WHERE completed = $1';
export const GET_QUERY = 'SELECT id, title FROM todos WHERE id = $1';

/** `count` ordinary list requests, one after another, 10 ms each with a 2 ms query. */
export function healthyTraffic(
  count: number,
  startMs = Date.UTC(2026, 0, 1),
  idPrefix = 'healthy',
): SyntheticRequest[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${idPrefix}-${i}`,
    startMs: startMs + i * 20,
    durationMs: 10,
    queries: [{ query: LIST_QUERY, atMs: 3, durationMs: 2 }],
  }));
}

/** A process's `Process metrics` line at `atMs`, covering the `intervalMs` before it. */
export function metricsLine(atMs: number, utilization: number, delayP99Ms = 10, intervalMs = 1000): LogLine {
  return {
    ...BASE,
    level: 'info',
    timestamp: new Date(atMs).toISOString(),
    location: 'process',
    message: 'Process metrics',
    interval_ms: intervalMs,
    event_loop_utilization: utilization,
    event_loop_delay_p99_ms: delayP99Ms,
  };
}
