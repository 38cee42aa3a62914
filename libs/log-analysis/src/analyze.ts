import {
  isProcessMetrics,
  isRequestFinished,
  isRequestStarted,
  isSqlStatement,
  timeOf,
  type LogLine,
} from './log-line';
import { normalizeQuery } from './normalize-query';
import { median, percentile, roundMs, sum } from './stats';
import type { Analysis, RepeatedShape, RequestStats, RouteStats, SqlShapeStats, StatusMix, Summary } from './analysis';
import { decideVerdict } from './verdict';

/** A request is reported as query-heavy past this many statements (`--max-queries`). */
export const DEFAULT_MANY_QUERIES = 10;
/** The same shape this often in one request is an N+1: a query per item of a list. */
export const N_PLUS_ONE_MIN_REPEATS = 5;
/** Request ids kept as examples per shape or per finding: enough to trace, short enough to read. */
export const MAX_EXAMPLES = 3;
/** Shapes listed among the slowest. */
export const SLOWEST_SHAPES_LIMIT = 10;

export interface AnalyzeOptions {
  manyQueries?: number;
}

interface RequestLines {
  started?: LogLine;
  finished?: LogLine;
  sql: LogLine[];
  first: LogLine;
}

export function analyze(lines: readonly LogLine[], options: AnalyzeOptions = {}): Analysis {
  const manyQueries = options.manyQueries ?? DEFAULT_MANY_QUERIES;
  const grouped = groupByRequest(lines);
  const requests = [...grouped].map(([id, request]) => requestStats(id, request));
  const finished = requests.filter(
    (r): r is RequestStats & { durationMs: number; status: number } =>
      r.durationMs !== undefined && r.status !== undefined,
  );
  const statements = lines.filter(isSqlStatement);
  const queryDurations = statements.map((line) => line.duration_ms ?? 0);
  const manyQueryRequests = requests.filter((r) => r.queryCount > manyQueries);
  const serverErrors = finished.filter((r) => r.status >= 500);

  const loaded = loadedMetrics(lines, finished);
  const summary: Summary = {
    requests: finished.length,
    medianSqlShare: median(finished.map((r) => (r.durationMs > 0 ? Math.min(1, r.sqlMs / r.durationMs) : 0))) ?? 0,
    medianRequestMs: median(finished.map((r) => r.durationMs)) ?? 0,
    medianSqlMs: median(finished.map((r) => r.sqlMs)) ?? 0,
    medianNonSqlMs: median(finished.map((r) => Math.max(0, r.durationMs - r.sqlMs))) ?? 0,
    medianQueriesPerRequest: median(finished.map((r) => r.queryCount)) ?? 0,
    medianQueryMs: median(queryDurations) ?? 0,
    peakConcurrency: peakConcurrency(requests),
    manyQueriesThreshold: manyQueries,
    requestsWithManyQueries: manyQueryRequests.length,
    manyQueriesExamples: manyQueryRequests.slice(0, MAX_EXAMPLES).map((r) => r.requestId),
    serverErrorRate: finished.length > 0 ? serverErrors.length / finished.length : 0,
    medianLoadedEventLoopUtilization: median(loaded.map((line) => line.event_loop_utilization)),
    medianLoadedEventLoopDelayMs: median(
      loaded.flatMap((line) =>
        typeof line.event_loop_delay_p99_ms === 'number' ? [line.event_loop_delay_p99_ms] : [],
      ),
    ),
  };
  const repeatedShapes = findRepeatedShapes(grouped);
  const slowestShapes = sqlShapeStats(statements);

  return {
    summary,
    routes: routeStats(finished),
    requests,
    repeatedShapes,
    slowestShapes,
    failedRequests: serverErrors.map((r) => ({
      requestId: r.requestId,
      route: r.route,
      status: r.status,
    })),
    failedQueries: statements
      .filter((line) => line.message === 'Query failed')
      .map((line) => ({
        requestId: line.request_id,
        shape: normalizeQuery(line.query ?? ''),
        errorCode: line.error_code,
      })),
    verdict: decideVerdict({ summary, requests, repeatedShapes, slowestShapes }),
  };
}

/**
 * The metrics lines of intervals in which requests finished: idle stretches
 * of a long log would otherwise hide a saturated peak.
 */
function loadedMetrics(
  lines: readonly LogLine[],
  finished: readonly RequestStats[],
): (LogLine & { event_loop_utilization: number })[] {
  const finishes = finished
    .map((r) => r.finishedAt)
    .filter((at): at is number => at !== undefined)
    .sort((a, b) => a - b);
  return lines.filter(isProcessMetrics).flatMap((line) => {
    const end = timeOf(line);
    const intervalMs = typeof line.interval_ms === 'number' ? line.interval_ms : 0;
    // The first finish after the interval began, found by bisection in the sorted finishes.
    let low = 0;
    let high = finishes.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (finishes[middle] > end - intervalMs) high = middle;
      else low = middle + 1;
    }
    return low < finishes.length && finishes[low] <= end ? [line] : [];
  });
}

function groupByRequest(lines: readonly LogLine[]): Map<string, RequestLines> {
  const grouped = new Map<string, RequestLines>();
  for (const line of lines) {
    const id = line.request_id;
    if (id === undefined) continue;
    let request = grouped.get(id);
    if (!request) {
      request = { sql: [], first: line };
      grouped.set(id, request);
    }
    if (isRequestStarted(line)) request.started = line;
    else if (isRequestFinished(line)) request.finished = line;
    else if (isSqlStatement(line)) request.sql.push(line);
  }
  return grouped;
}

/** `GET /api/v1/todos/:id`: the route pattern when Nest matched one, else the path without its query. */
export function routeKey(line: LogLine): string {
  const path = line.route ?? (line.url ?? '').split('?')[0];
  return `${line.method ?? '?'} ${path}`;
}

function requestStats(requestId: string, request: RequestLines): RequestStats {
  const { started, finished, sql } = request;
  const startedAt = started ? timeOf(started) : undefined;
  // A statement's line is written when it completes: it was sent duration_ms earlier.
  const firstSent = Math.min(...sql.map((line) => timeOf(line) - (line.duration_ms ?? 0)));
  return {
    requestId,
    route: routeKey(finished ?? request.first),
    status: finished?.status_code,
    durationMs: finished?.duration_ms,
    sqlMs: roundMs(sum(sql.map((line) => line.duration_ms ?? 0))),
    queryCount: sql.length,
    failedQueries: sql.filter((line) => line.message === 'Query failed').length,
    waitBeforeFirstQueryMs:
      startedAt !== undefined && sql.length > 0 ? roundMs(Math.max(0, firstSent - startedAt)) : undefined,
    startedAt,
    finishedAt: finished ? timeOf(finished) : undefined,
  };
}

function routeStats(finished: { route: string; status: number; durationMs: number }[]): RouteStats[] {
  const byRoute = new Map<string, { status: StatusMix; durations: number[] }>();
  for (const request of finished) {
    let route = byRoute.get(request.route);
    if (!route) {
      route = { status: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, durations: [] };
      byRoute.set(request.route, route);
    }
    const statusClass = `${Math.min(5, Math.max(2, Math.floor(request.status / 100)))}xx`;
    route.status[statusClass as keyof StatusMix]++;
    route.durations.push(request.durationMs);
  }
  return [...byRoute]
    .map(([route, { status, durations }]) => ({
      route,
      count: durations.length,
      status,
      p50Ms: percentile(durations, 0.5) ?? 0,
      p95Ms: percentile(durations, 0.95) ?? 0,
      p99Ms: percentile(durations, 0.99) ?? 0,
    }))
    .sort((a, b) => b.count - a.count || a.route.localeCompare(b.route));
}

function findRepeatedShapes(grouped: Map<string, RequestLines>): RepeatedShape[] {
  const byShape = new Map<string, RepeatedShape>();
  for (const [requestId, { sql }] of grouped) {
    const counts = new Map<string, number>();
    for (const line of sql) {
      const shape = normalizeQuery(line.query ?? '');
      counts.set(shape, (counts.get(shape) ?? 0) + 1);
    }
    for (const [shape, repeats] of counts) {
      if (repeats < N_PLUS_ONE_MIN_REPEATS) continue;
      const found = byShape.get(shape) ?? { shape, requests: 0, maxRepeats: 0, examples: [] };
      found.requests++;
      found.maxRepeats = Math.max(found.maxRepeats, repeats);
      if (found.examples.length < MAX_EXAMPLES) found.examples.push(requestId);
      byShape.set(shape, found);
    }
  }
  return [...byShape.values()].sort((a, b) => b.requests - a.requests);
}

function sqlShapeStats(statements: LogLine[]): SqlShapeStats[] {
  const byShape = new Map<string, LogLine[]>();
  for (const line of statements) {
    const shape = normalizeQuery(line.query ?? '');
    const runs = byShape.get(shape);
    if (runs) runs.push(line);
    else byShape.set(shape, [line]);
  }
  const totalSqlMs = sum(statements.map((line) => line.duration_ms ?? 0));
  return [...byShape]
    .map(([shape, runs]) => {
      const durations = runs.map((line) => line.duration_ms ?? 0);
      const totalMs = sum(durations);
      const slowestFirst = [...runs].sort((a, b) => (b.duration_ms ?? 0) - (a.duration_ms ?? 0));
      return {
        shape,
        count: runs.length,
        totalMs: roundMs(totalMs),
        p95Ms: percentile(durations, 0.95) ?? 0,
        shareOfSqlTime: totalSqlMs > 0 ? totalMs / totalSqlMs : 0,
        failures: runs.filter((line) => line.message === 'Query failed').length,
        examples: [...new Set(slowestFirst.flatMap((line) => (line.request_id ? [line.request_id] : [])))].slice(
          0,
          MAX_EXAMPLES,
        ),
      };
    })
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, SLOWEST_SHAPES_LIMIT);
}

/** Sweep over start (+1) and finish (-1) times; a finish sorts first at a tie, so back-to-back requests do not overlap. */
function peakConcurrency(requests: RequestStats[]): number {
  const edges: [number, number][] = [];
  for (const { startedAt, finishedAt } of requests) {
    if (startedAt === undefined || finishedAt === undefined) continue;
    edges.push([startedAt, 1], [finishedAt, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let inFlight = 0;
  let peak = 0;
  for (const [, change] of edges) {
    inFlight += change;
    peak = Math.max(peak, inFlight);
  }
  return peak;
}
