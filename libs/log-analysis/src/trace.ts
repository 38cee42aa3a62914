import { routeKey } from './analyze';
import { isRequestFinished, isRequestStarted, isSqlStatement, REQUEST_STARTED, timeOf, type LogLine } from './log-line';
import { roundMs, sum } from './stats';

export interface TraceEvent {
  /** Milliseconds from the request's start; for SQL, when the statement was sent. */
  offsetMs: number;
  kind: 'start' | 'sql' | 'log' | 'finish';
  level?: string;
  location?: string;
  message: string;
  durationMs?: number;
  query?: string;
  errorCode?: string;
  statusCode?: number;
}

export interface Trace {
  requestId: string;
  route: string;
  url?: string;
  startedAt: string;
  status?: number;
  durationMs?: number;
  sqlMs: number;
  queryCount: number;
  events: TraceEvent[];
}

/** Every line of one request on one timeline; undefined when no line carries the id. */
export function trace(lines: readonly LogLine[], requestId: string): Trace | undefined {
  const own = lines.filter((line) => line.request_id === requestId);
  if (own.length === 0) return undefined;
  const started = own.find(isRequestStarted);
  const finished = own.find(isRequestFinished);
  // Without a start line (LOG_REQUEST_START off, or a window that cut it off)
  // the finish line says when the request started; without that either, the
  // earliest line stands in for it.
  const earliest = own.reduce((a, b) => (timeOf(b) < timeOf(a) ? b : a));
  const derivedStartMs =
    !started && finished?.duration_ms !== undefined ? timeOf(finished) - finished.duration_ms : undefined;
  const originMs = started ? timeOf(started) : (derivedStartMs ?? timeOf(earliest));
  const sql = own.filter(isSqlStatement);
  const derivedStart: TraceEvent[] =
    derivedStartMs === undefined ? [] : [{ kind: 'start', offsetMs: 0, location: 'http', message: REQUEST_STARTED }];
  const events = [...derivedStart, ...own.map((line) => toEvent(line, originMs))]
    // At equal times the lifecycle order holds: start, work, finish.
    .sort((a, b) => a.offsetMs - b.offsetMs || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  return {
    requestId,
    route: routeKey(finished ?? started ?? earliest),
    url: (started ?? earliest).url,
    startedAt: derivedStartMs === undefined ? (started ?? earliest).timestamp : new Date(derivedStartMs).toISOString(),
    status: finished?.status_code,
    durationMs: finished?.duration_ms,
    sqlMs: roundMs(sum(sql.map((line) => line.duration_ms ?? 0))),
    queryCount: sql.length,
    events,
  };
}

const KIND_ORDER: Record<TraceEvent['kind'], number> = { start: 0, sql: 1, log: 1, finish: 2 };

function toEvent(line: LogLine, originMs: number): TraceEvent {
  const common = { level: line.level, location: line.location, message: line.message };
  if (isSqlStatement(line)) {
    const durationMs = line.duration_ms ?? 0;
    return {
      ...common,
      kind: 'sql',
      offsetMs: roundMs(Math.max(0, timeOf(line) - durationMs - originMs)),
      durationMs,
      query: line.query,
      errorCode: line.error_code,
    };
  }
  const offsetMs = roundMs(Math.max(0, timeOf(line) - originMs));
  if (isRequestStarted(line)) return { ...common, kind: 'start', offsetMs };
  if (isRequestFinished(line)) {
    return {
      ...common,
      kind: 'finish',
      offsetMs,
      durationMs: line.duration_ms,
      statusCode: line.status_code,
    };
  }
  return { ...common, kind: 'log', offsetMs };
}

/** The timelines of several requests from one set of lines, by id; ids no line carries are left out. */
export function traceAll(lines: readonly LogLine[], requestIds: readonly string[]): Record<string, Trace> {
  const wanted = new Set(requestIds);
  const byId = new Map<string, LogLine[]>();
  for (const line of lines) {
    const id = line.request_id;
    if (id === undefined || !wanted.has(id)) continue;
    const own = byId.get(id);
    if (own) own.push(line);
    else byId.set(id, [line]);
  }
  const traces: Record<string, Trace> = {};
  for (const [id, own] of byId) traces[id] = trace(own, id)!;
  return traces;
}
