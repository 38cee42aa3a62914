/*
 * What `npm run analyze` finds, as data (its --json output): the types alone,
 * shared by the analysis, the verdict and the report without importing one
 * another's code.
 */

export interface StatusMix {
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

export interface RouteStats {
  /** Method and route pattern (`GET /api/v1/todos/:id`), or the path when no route matched. */
  route: string;
  count: number;
  status: StatusMix;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface RequestStats {
  requestId: string;
  route: string;
  status?: number;
  /** From the finish line; undefined when the log holds no finish line for the request. */
  durationMs?: number;
  sqlMs: number;
  queryCount: number;
  failedQueries: number;
  /** Start line to the moment the first statement was sent: routing, validation, waiting for a pooled connection. */
  waitBeforeFirstQueryMs?: number;
  startedAt?: number;
  finishedAt?: number;
}

export interface RepeatedShape {
  shape: string;
  /** Requests that ran it at least N_PLUS_ONE_MIN_REPEATS times. */
  requests: number;
  maxRepeats: number;
  examples: string[];
}

export interface SqlShapeStats {
  shape: string;
  count: number;
  totalMs: number;
  p95Ms: number;
  p99Ms: number;
  /** Of all SQL time in the log, 0 to 1. */
  shareOfSqlTime: number;
  failures: number;
  /** Requests that ran its slowest executions. */
  examples: string[];
}

export interface FailedRequest {
  requestId: string;
  route: string;
  status: number;
}

export interface FailedQuery {
  requestId?: string;
  shape: string;
  errorCode?: string;
}

export interface Summary {
  /** Requests with a finish line. */
  requests: number;
  /** Median over finished requests of SQL time / request time. */
  medianSqlShare: number;
  medianRequestMs: number;
  medianSqlMs: number;
  medianNonSqlMs: number;
  medianQueriesPerRequest: number;
  /** Median duration of a single statement. */
  medianQueryMs: number;
  /** The most requests in flight at once, from start and finish times. */
  peakConcurrency: number;
  manyQueriesThreshold: number;
  requestsWithManyQueries: number;
  manyQueriesExamples: string[];
  /** Finished requests answered 5xx. */
  serverErrors: number;
  serverErrorRate: number;
  /** `Query failed` lines. */
  failedQueries: number;
  /**
   * Median event-loop utilisation (0–1) over the process metrics lines whose
   * interval saw requests finish; undefined when the log has none.
   */
  medianLoadedEventLoopUtilization?: number;
  /** Median of those lines' event_loop_delay_p99_ms; undefined when they have none. */
  medianLoadedEventLoopDelayMs?: number;
}

export interface Analysis {
  summary: Summary;
  routes: RouteStats[];
  /** The longest requests, longest first (SLOWEST_REQUESTS_LIMIT). */
  slowestRequests: RequestStats[];
  repeatedShapes: RepeatedShape[];
  slowestShapes: SqlShapeStats[];
  /** The first MAX_LISTED_FAILURES; summary.serverErrors counts them all. */
  failedRequests: FailedRequest[];
  /** The first MAX_LISTED_FAILURES; summary.failedQueries counts them all. */
  failedQueries: FailedQuery[];
  timeline: Timeline;
  verdict: Verdict;
}

/** The run over time, in buckets of bucketMs; null where a bucket has no value. */
export interface Timeline {
  /** Bucket widths are chosen so that a run has at most MAX_BUCKETS of them. */
  bucketMs: number;
  /** Each bucket's start, epoch milliseconds. */
  times: number[];
  /** Requests finished per second (`Request finished` lines), all and per status class. */
  requestsPerSecond: number[];
  statusPerSecond: Record<keyof StatusMix, number[]>;
  /** Per route (as in routes, most requests first): requests finished per second and duration percentiles. */
  routes: RouteTimeline[];
  /** 5xx responses and `Query failed` lines per bucket. */
  serverErrors: number[];
  failedQueries: number[];
  /** SQL time per finished request: mean and p95 per bucket. */
  sqlMsMean: (number | null)[];
  sqlMsP95: (number | null)[];
  /** p95 of the wait before the first statement (a pooled connection). */
  waitBeforeFirstQueryMsP95: (number | null)[];
  /** The most requests in flight at once in each bucket. */
  inFlight: number[];
  /** Per process (`hostname/pid`) from its `Process metrics` lines. */
  processes: ProcessTimeline[];
}

export interface RouteTimeline {
  route: string;
  requestsPerSecond: number[];
  p50Ms: (number | null)[];
  p95Ms: (number | null)[];
  p99Ms: (number | null)[];
  /** Duration by percentile over the whole run: [percentile, ms] for LATENCY_PERCENTILES. */
  distribution: [number, number][];
}

export interface ProcessTimeline {
  process: string;
  eventLoopUtilization: (number | null)[];
  eventLoopDelayP99Ms: (number | null)[];
  /** CPU time (user + system) over wall time, 100 = one core. */
  cpuPercent: (number | null)[];
  rssMb: (number | null)[];
}

export type Bottleneck = 'errors' | 'n-plus-one' | 'slow-sql' | 'pool-exhaustion' | 'cpu-bound' | 'none';

export interface Verdict {
  bottleneck: Bottleneck;
  /** The numbers that decided it. */
  reason: string;
  /** Other classes whose rule also held, most important first. */
  alsoSeen: Bottleneck[];
}
