import type {
  Analysis,
  FailedQuery,
  FailedRequest,
  RepeatedShape,
  RequestStats,
  RouteStats,
  SqlShapeStats,
  StatusMix,
  Summary,
} from './analysis';
import { NumberColumn, sortedNumbers, sortedPercentile } from './columns';
import {
  isProcessMetrics,
  isRequestFinished,
  isRequestStarted,
  isSqlStatement,
  timeOf,
  type LogLine,
} from './log-line';
import { normalizeQuery } from './normalize-query';
import { median, roundMs } from './stats';
import { buildTimeline, statusClass, type ProcessSample, type RequestColumns } from './timeline';
import { decideVerdict, POOL_MIN_WAIT_MS, type SqlRequestsEvidence } from './verdict';

/** A request is reported as query-heavy past this many statements (`--max-queries`). */
export const DEFAULT_MANY_QUERIES = 10;
/** The same shape this often in one request is an N+1: a query per item of a list. */
export const N_PLUS_ONE_MIN_REPEATS = 5;
/** Request ids kept as examples per shape or per finding: enough to trace, short enough to read. */
export const MAX_EXAMPLES = 3;
/** Shapes listed among the slowest. */
export const SLOWEST_SHAPES_LIMIT = 10;
/** Requests listed among the slowest. */
export const SLOWEST_REQUESTS_LIMIT = 10;
/** 5xx responses and failed statements listed by id; beyond it they are only counted. */
export const MAX_LISTED_FAILURES = 1000;
/**
 * Finished requests remembered by id, so that a line written just after its
 * request's finish line (another process's clock, a merged log) still counts
 * for it. Older ids are forgotten: an hour-long log holds millions.
 */
const RECENTLY_FINISHED = 10_000;
/** Statement texts remembered with their shape: a service runs few distinct statements. */
const SHAPE_CACHE_SIZE = 50_000;

export interface AnalyzeOptions {
  manyQueries?: number;
}

/** A request whose finish line has not been read yet. */
interface OpenRequest {
  /** The route key of its first line, for a request cut off before its finish line. */
  firstRoute: string;
  startedAt: number;
  sqlMs: number;
  queryCount: number;
  failedQueries: number;
  /** When its first statement was sent. */
  firstSent: number;
  /** The shape of each statement, for N+1. */
  shapes: ShapeStats[];
}

interface ShapeStats {
  shape: string;
  count: number;
  totalMs: number;
  durations: NumberColumn;
  failures: number;
  /** Its slowest runs, slowest first: [duration, request id]. */
  slowest: [number, string][];
  repeated?: RepeatedShape;
}

/**
 * Reads the service's log one line at a time and keeps what the report needs
 * in columns of numbers, not the lines: a 1 GB log is analysed in a few
 * hundred megabytes. `add` each line, then `result()`.
 */
export class LogAnalyzer {
  private readonly manyQueries: number;
  private readonly open = new Map<string, OpenRequest>();
  private readonly recent = new Map<string, number>();
  private readonly requests: RequestColumns = {
    startedAt: new NumberColumn(),
    finishedAt: new NumberColumn(),
    durationMs: new NumberColumn(),
    status: new NumberColumn(),
    sqlMs: new NumberColumn(),
    queryCount: new NumberColumn(),
    waitBeforeFirstQueryMs: new NumberColumn(),
    route: new NumberColumn(),
  };
  private readonly routeKeys: string[] = [];
  private readonly routeIndex = new Map<string, number>();
  private readonly queryDurations = new NumberColumn();
  private readonly shapes = new Map<string, ShapeStats>();
  private readonly shapeOfText = new Map<string, ShapeStats>();
  private readonly slowestRequests: RequestStats[] = [];
  private readonly manyQueriesExamples: string[] = [];
  private requestsWithManyQueries = 0;
  private readonly failedRequests: FailedRequest[] = [];
  private serverErrors = 0;
  private readonly failedQueries: FailedQuery[] = [];
  private readonly failedQueryTimes = new NumberColumn();
  private readonly samples: ProcessSample[] = [];
  private done = false;

  constructor(options: AnalyzeOptions = {}) {
    this.manyQueries = options.manyQueries ?? DEFAULT_MANY_QUERIES;
  }

  add(line: LogLine): void {
    if (isProcessMetrics(line)) {
      this.samples.push(processSample(line));
      return;
    }
    const shape = isSqlStatement(line) ? this.addStatement(line) : undefined;
    const id = line.request_id;
    if (id === undefined) return;

    const started = isRequestStarted(line);
    // A second finish line for an id is another request (a client reusing its X-Request-Id).
    if (started || isRequestFinished(line)) this.recent.delete(id);
    const late = this.recent.get(id);
    if (late !== undefined) {
      if (shape) this.addLateStatement(late, line);
      return;
    }
    let request = this.open.get(id);
    if (!request) {
      request = {
        firstRoute: routeKey(line),
        startedAt: NaN,
        sqlMs: 0,
        queryCount: 0,
        failedQueries: 0,
        firstSent: Infinity,
        shapes: [],
      };
      this.open.set(id, request);
    }
    if (started) request.startedAt = timeOf(line);
    else if (shape) {
      const durationMs = line.duration_ms ?? 0;
      request.sqlMs += durationMs;
      request.queryCount++;
      if (line.message === 'Query failed') request.failedQueries++;
      // A statement's line is written when it completes: it was sent duration_ms earlier.
      request.firstSent = Math.min(request.firstSent, timeOf(line) - durationMs);
      request.shapes.push(shape);
    } else if (isRequestFinished(line)) {
      this.open.delete(id);
      this.finish(id, request, line);
    }
  }

  result(): Analysis {
    if (!this.done) {
      // Requests the log cut off before their finish line.
      for (const [id, request] of this.open) this.finish(id, request, undefined);
      this.open.clear();
      this.done = true;
    }
    const { requests } = this;
    const count = requests.durationMs.length;
    const finished: number[] = [];
    for (let i = 0; i < count; i++) if (!Number.isNaN(requests.durationMs.get(i))) finished.push(i);
    const of = (column: NumberColumn, value = (i: number) => column.get(i)) => Float64Array.from(finished, value);

    const durations = of(requests.durationMs);
    const sqlMs = of(requests.sqlMs);
    const timeline = buildTimeline({
      requests,
      routes: this.routeKeys,
      failedQueryTimes: this.failedQueryTimes.values(),
      samples: this.samples,
    });
    const finishes = sortedNumbers(of(requests.finishedAt));
    const loaded = this.samples.filter((sample) => hadFinishes(finishes, sample));

    const summary: Summary = {
      requests: finished.length,
      medianSqlShare:
        median(
          Float64Array.from(finished, (i, k) =>
            durations[k] > 0 ? Math.min(1, requests.sqlMs.get(i) / durations[k]) : 0,
          ),
        ) ?? 0,
      medianRequestMs: median(durations) ?? 0,
      medianSqlMs: median(sqlMs) ?? 0,
      medianNonSqlMs: median(durations.map((d, k) => Math.max(0, d - sqlMs[k]))) ?? 0,
      medianQueriesPerRequest: median(of(requests.queryCount)) ?? 0,
      medianQueryMs: median(this.queryDurations.values()) ?? 0,
      peakConcurrency: Math.max(0, ...timeline.inFlight),
      manyQueriesThreshold: this.manyQueries,
      requestsWithManyQueries: this.requestsWithManyQueries,
      manyQueriesExamples: this.manyQueriesExamples,
      serverErrors: this.serverErrors,
      serverErrorRate: finished.length > 0 ? this.serverErrors / finished.length : 0,
      failedQueries: this.failedQueryTimes.length,
      medianLoadedEventLoopUtilization: median(loaded.map((s) => s.eventLoopUtilization)),
      medianLoadedEventLoopDelayMs: median(
        loaded.flatMap((s) => (s.eventLoopDelayP99Ms === undefined ? [] : [s.eventLoopDelayP99Ms])),
      ),
    };
    const repeatedShapes = [...this.shapes.values()]
      .flatMap((s) => (s.repeated ? [s.repeated] : []))
      .sort((a, b) => b.requests - a.requests);
    const slowestShapes = this.slowestShapes();

    return {
      summary,
      routes: this.routeStats(finished),
      slowestRequests: [...this.slowestRequests],
      repeatedShapes,
      slowestShapes,
      failedRequests: this.failedRequests,
      failedQueries: this.failedQueries,
      timeline,
      verdict: decideVerdict({ summary, repeatedShapes, slowestShapes, requests: this.withSqlEvidence() }),
    };
  }

  private finish(id: string, request: OpenRequest, finished: LogLine | undefined): void {
    const { requests } = this;
    const index = requests.durationMs.length;
    const route = finished ? routeKey(finished) : request.firstRoute;
    const finishedAt = finished ? timeOf(finished) : NaN;
    const durationMs = finished?.duration_ms ?? NaN;
    const status = finished?.status_code ?? NaN;
    // The service writes no start line unless LOG_REQUEST_START is on: the
    // finish line says when the request started, duration_ms before it.
    if (Number.isNaN(request.startedAt)) request.startedAt = finishedAt - durationMs;
    const wait =
      !Number.isNaN(request.startedAt) && request.queryCount > 0
        ? roundMs(Math.max(0, request.firstSent - request.startedAt))
        : NaN;
    requests.startedAt.push(request.startedAt);
    requests.finishedAt.push(Number.isNaN(durationMs) || Number.isNaN(status) ? NaN : finishedAt);
    requests.durationMs.push(Number.isNaN(status) ? NaN : durationMs);
    requests.status.push(Number.isNaN(durationMs) ? NaN : status);
    requests.sqlMs.push(roundMs(request.sqlMs));
    requests.queryCount.push(request.queryCount);
    requests.waitBeforeFirstQueryMs.push(wait);
    requests.route.push(this.internRoute(route));
    if (finished) {
      this.recent.set(id, index);
      if (this.recent.size > RECENTLY_FINISHED) this.recent.delete(this.recent.keys().next().value!);
    }

    if (request.queryCount > this.manyQueries) {
      this.requestsWithManyQueries++;
      if (this.manyQueriesExamples.length < MAX_EXAMPLES) this.manyQueriesExamples.push(id);
    }
    if (status >= 500 && !Number.isNaN(durationMs)) {
      this.serverErrors++;
      if (this.failedRequests.length < MAX_LISTED_FAILURES) this.failedRequests.push({ requestId: id, route, status });
    }
    this.countRepeats(id, request.shapes);
    this.keepIfSlowest({
      requestId: id,
      route,
      status: Number.isNaN(status) ? undefined : status,
      durationMs: Number.isNaN(durationMs) ? undefined : durationMs,
      sqlMs: requests.sqlMs.get(index),
      queryCount: request.queryCount,
      failedQueries: request.failedQueries,
      waitBeforeFirstQueryMs: Number.isNaN(wait) ? undefined : wait,
      startedAt: Number.isNaN(request.startedAt) ? undefined : request.startedAt,
      finishedAt: finished ? finishedAt : undefined,
    });
  }

  /** A statement of a request already finished: its time and count still belong to it. */
  private addLateStatement(index: number, line: LogLine): void {
    const { requests } = this;
    requests.sqlMs.set(index, roundMs(requests.sqlMs.get(index) + (line.duration_ms ?? 0)));
    requests.queryCount.set(index, requests.queryCount.get(index) + 1);
  }

  /** Counts the statement under its shape, which it returns. */
  private addStatement(line: LogLine): ShapeStats {
    const durationMs = line.duration_ms ?? 0;
    this.queryDurations.push(durationMs);
    const stats = this.shapeOf(line.query ?? '');
    stats.count++;
    stats.totalMs += durationMs;
    stats.durations.push(durationMs);
    const failed = line.message === 'Query failed';
    if (failed) stats.failures++;
    const id = line.request_id;
    if (id !== undefined) keepSlowest(stats.slowest, durationMs, id);
    if (failed) {
      this.failedQueryTimes.push(timeOf(line));
      if (this.failedQueries.length < MAX_LISTED_FAILURES) {
        this.failedQueries.push({ requestId: id, shape: stats.shape, errorCode: line.error_code });
      }
    }
    return stats;
  }

  private shapeOf(query: string): ShapeStats {
    // The leading comment carries the request id: without it, one text per statement the service runs.
    const text = query.replace(/^\s*\/\*[\s\S]*?\*\/\s*/, '');
    let stats = this.shapeOfText.get(text);
    if (stats) return stats;
    const shape = normalizeQuery(text);
    stats = this.shapes.get(shape);
    if (!stats) {
      stats = { shape, count: 0, totalMs: 0, durations: new NumberColumn(), failures: 0, slowest: [] };
      this.shapes.set(shape, stats);
    }
    if (this.shapeOfText.size >= SHAPE_CACHE_SIZE) this.shapeOfText.clear();
    this.shapeOfText.set(text, stats);
    return stats;
  }

  private countRepeats(id: string, shapes: ShapeStats[]): void {
    if (shapes.length < N_PLUS_ONE_MIN_REPEATS) return;
    const counts = new Map<ShapeStats, number>();
    for (const shape of shapes) counts.set(shape, (counts.get(shape) ?? 0) + 1);
    for (const [stats, repeats] of counts) {
      if (repeats < N_PLUS_ONE_MIN_REPEATS) continue;
      stats.repeated ??= { shape: stats.shape, requests: 0, maxRepeats: 0, examples: [] };
      const found = stats.repeated;
      found.requests++;
      found.maxRepeats = Math.max(found.maxRepeats, repeats);
      if (found.examples.length < MAX_EXAMPLES) found.examples.push(id);
    }
  }

  private keepIfSlowest(request: RequestStats): void {
    const list = this.slowestRequests;
    const duration = request.durationMs ?? -1;
    if (list.length === SLOWEST_REQUESTS_LIMIT && duration <= (list[list.length - 1].durationMs ?? -1)) return;
    const at = list.findIndex((r) => (r.durationMs ?? -1) < duration);
    list.splice(at === -1 ? list.length : at, 0, request);
    if (list.length > SLOWEST_REQUESTS_LIMIT) list.pop();
  }

  private internRoute(route: string): number {
    let index = this.routeIndex.get(route);
    if (index === undefined) {
      index = this.routeKeys.length;
      this.routeKeys.push(route);
      this.routeIndex.set(route, index);
    }
    return index;
  }

  private routeStats(finished: number[]): RouteStats[] {
    const byRoute = new Map<number, { status: StatusMix; durations: number[] }>();
    for (const i of finished) {
      const index = this.requests.route.get(i);
      let route = byRoute.get(index);
      if (!route) {
        route = { status: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, durations: [] };
        byRoute.set(index, route);
      }
      route.status[statusClass(this.requests.status.get(i))]++;
      route.durations.push(this.requests.durationMs.get(i));
    }
    return [...byRoute]
      .map(([index, { status, durations }]) => {
        const sorted = sortedNumbers(durations);
        return {
          route: this.routeKeys[index],
          count: durations.length,
          status,
          p50Ms: sortedPercentile(sorted, 0.5) ?? 0,
          p95Ms: sortedPercentile(sorted, 0.95) ?? 0,
          p99Ms: sortedPercentile(sorted, 0.99) ?? 0,
        };
      })
      .sort((a, b) => b.count - a.count || a.route.localeCompare(b.route));
  }

  private slowestShapes(): SqlShapeStats[] {
    const totalSqlMs = [...this.shapes.values()].reduce((total, s) => total + s.totalMs, 0);
    return [...this.shapes.values()]
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, SLOWEST_SHAPES_LIMIT)
      .map((s) => {
        const sorted = sortedNumbers(s.durations.values());
        return {
          shape: s.shape,
          count: s.count,
          totalMs: roundMs(s.totalMs),
          p95Ms: sortedPercentile(sorted, 0.95) ?? 0,
          p99Ms: sortedPercentile(sorted, 0.99) ?? 0,
          shareOfSqlTime: totalSqlMs > 0 ? s.totalMs / totalSqlMs : 0,
          failures: s.failures,
          examples: s.slowest.map(([, id]) => id),
        };
      });
  }

  /** What the pool-exhaustion and N+1 rules read, over the finished requests that ran SQL. */
  private withSqlEvidence(): SqlRequestsEvidence {
    const { requests } = this;
    const sqlMs: number[] = [];
    const nonSqlMs: number[] = [];
    let waiting = 0;
    let withSql = 0;
    for (let i = 0; i < requests.durationMs.length; i++) {
      if (requests.queryCount.get(i) === 0) continue;
      withSql++;
      const duration = requests.durationMs.get(i);
      const wait = requests.waitBeforeFirstQueryMs.get(i);
      if (Number.isNaN(duration) || Number.isNaN(wait)) continue;
      const sql = requests.sqlMs.get(i);
      sqlMs.push(sql);
      nonSqlMs.push(duration - sql);
      if (wait >= POOL_MIN_WAIT_MS && wait >= (duration - sql) / 2) waiting++;
    }
    return {
      withSql,
      timed: sqlMs.length,
      waiting,
      medianSqlMs: median(sqlMs) ?? 0,
      medianNonSqlMs: median(nonSqlMs) ?? 0,
    };
  }
}

/** Analyses lines already in memory (tests, small logs). */
export function analyze(lines: Iterable<LogLine>, options: AnalyzeOptions = {}): Analysis {
  const analyzer = new LogAnalyzer(options);
  for (const line of lines) analyzer.add(line);
  return analyzer.result();
}

/** `GET /api/v1/todos/:id`: the route pattern when Nest matched one, else the path without its query. */
export function routeKey(line: LogLine): string {
  const path = line.route ?? (line.url ?? '').split('?')[0];
  return `${line.method ?? '?'} ${path}`;
}

function keepSlowest(slowest: [number, string][], durationMs: number, id: string): void {
  if (slowest.some(([, other]) => other === id)) {
    // One example per request: its slowest run.
    const existing = slowest.find(([, other]) => other === id)!;
    if (existing[0] >= durationMs) return;
    slowest.splice(slowest.indexOf(existing), 1);
  } else if (slowest.length === MAX_EXAMPLES && durationMs <= slowest[slowest.length - 1][0]) return;
  const at = slowest.findIndex(([other]) => other < durationMs);
  slowest.splice(at === -1 ? slowest.length : at, 0, [durationMs, id]);
  if (slowest.length > MAX_EXAMPLES) slowest.pop();
}

function processSample(line: LogLine & { event_loop_utilization: number }): ProcessSample {
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  return {
    process: `${typeof line.hostname === 'string' ? line.hostname : '?'}/${number(line.pid) ?? '?'}`,
    endMs: timeOf(line),
    intervalMs: number(line.interval_ms) ?? 0,
    eventLoopUtilization: line.event_loop_utilization,
    eventLoopDelayP99Ms: number(line.event_loop_delay_p99_ms),
    cpuMs:
      number(line.cpu_user_ms) === undefined
        ? undefined
        : (number(line.cpu_user_ms) ?? 0) + (number(line.cpu_system_ms) ?? 0),
    rssMb: number(line.rss_mb),
  };
}

/**
 * Whether requests finished in the sample's interval: idle stretches of a long
 * log would otherwise hide a saturated peak. `finishes` is sorted.
 */
function hadFinishes(finishes: Float64Array, sample: ProcessSample): boolean {
  // The first finish after the interval began, found by bisection.
  let low = 0;
  let high = finishes.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (finishes[middle] > sample.endMs - sample.intervalMs) high = middle;
    else low = middle + 1;
  }
  return low < finishes.length && finishes[low] <= sample.endMs;
}
