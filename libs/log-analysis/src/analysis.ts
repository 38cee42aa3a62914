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
  /** Of all SQL time in the log, 0 to 1. */
  shareOfSqlTime: number;
  failures: number;
  /** Requests that ran its slowest executions. */
  examples: string[];
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
  serverErrorRate: number;
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
  requests: RequestStats[];
  repeatedShapes: RepeatedShape[];
  slowestShapes: SqlShapeStats[];
  failedRequests: { requestId: string; route: string; status: number }[];
  failedQueries: FailedQuery[];
  verdict: Verdict;
}

export type Bottleneck = 'errors' | 'n-plus-one' | 'slow-sql' | 'pool-exhaustion' | 'cpu-bound' | 'none';

export interface Verdict {
  bottleneck: Bottleneck;
  /** The numbers that decided it. */
  reason: string;
  /** Other classes whose rule also held, most important first. */
  alsoSeen: Bottleneck[];
}
