import type { Bottleneck, RepeatedShape, SqlShapeStats, Summary, Verdict } from './analysis';
import { roundMs } from './stats';
import { clip, percent } from './text';

/** Characters of SQL quoted in the verdict line. */
const VERDICT_SHAPE_WIDTH = 80;

// errors: failing requests matter more than slow ones.
/** Share of finished requests answered 5xx. */
export const ERROR_RATE_THRESHOLD = 0.01;

// n-plus-one: one request running the same shape N_PLUS_ONE_MIN_REPEATS+ times.
/** Share of the requests that ran SQL showing the pattern; below it, a rare path. */
export const N_PLUS_ONE_MIN_REQUEST_SHARE = 0.05;

// slow-sql: one shape that is slow itself and is where the SQL time goes.
export const SLOW_SHAPE_P95_MS = 100;
export const SLOW_SHAPE_MIN_SQL_SHARE = 0.5;

// pool-exhaustion: statements are fast, yet requests wait before their first
// one while many run at once: they queue for a pooled connection.
/** A statement slower than this at the median is not "fast SQL". */
export const FAST_QUERY_MS = 20;
/** Median non-SQL time must be this many times the median SQL time. */
export const POOL_NON_SQL_TO_SQL_RATIO = 4;
/** A start-to-first-query gap counts as waiting from this long, and when it is at least half the request's non-SQL time. */
export const POOL_MIN_WAIT_MS = 20;
/** Share of the requests that ran SQL having such a gap. */
export const POOL_MIN_WAITING_SHARE = 0.25;
/** Fewer requests in flight than DB_POOL_SIZE's default cannot exhaust the pool. */
export const POOL_MIN_CONCURRENCY = 10;

// cpu-bound: the event loop was busy nearly all the time under load (from the
// process metrics lines), or slow requests spent their time neither in SQL
// nor waiting for it.
/** Median event-loop utilisation under load from which the process is saturated. */
export const SATURATED_EVENT_LOOP_UTILIZATION = 0.9;
/**
 * ...and how late its timers must fire (median of the intervals' p99): a loop
 * merely busy, or a process starved of CPU by its neighbours, shows high
 * utilisation too, but only a loop that runs long stretches of JavaScript makes
 * requests wait this long for it.
 */
export const SATURATED_EVENT_LOOP_DELAY_MS = 50;
export const SLOW_REQUEST_MS = 100;
export const CPU_MAX_SQL_SHARE = 0.2;
export const CPU_MAX_QUERIES = 3;

/** The requests that ran SQL, as the N+1 and pool-exhaustion rules read them. */
export interface SqlRequestsEvidence {
  /** Requests that ran at least one statement. */
  withSql: number;
  /** Of those, the finished ones with a start line: the rest cannot show a wait. */
  timed: number;
  /** Of the timed, those that waited POOL_MIN_WAIT_MS+ before their first statement, at least half their non-SQL time. */
  waiting: number;
  medianSqlMs: number;
  medianNonSqlMs: number;
}

interface Evidence {
  summary: Summary;
  requests: SqlRequestsEvidence;
  repeatedShapes: RepeatedShape[];
  slowestShapes: SqlShapeStats[];
}

type Rule = (evidence: Evidence) => string | undefined;

/**
 * The rules in order of precedence: when several hold, the first names the
 * dominant bottleneck. Errors first; then N+1, a code defect that also
 * inflates SQL time and pool use; then a saturated event loop, which
 * stretches every duration measured in the process, SQL included, so it
 * comes before slow SQL; slow SQL also holds connections; pool exhaustion
 * and slow requests outside SQL only explain time spent outside SQL.
 */
const RULES: [Bottleneck, Rule][] = [
  ['errors', errorsRule],
  ['n-plus-one', nPlusOneRule],
  ['cpu-bound', saturatedEventLoopRule],
  ['slow-sql', slowSqlRule],
  ['pool-exhaustion', poolExhaustionRule],
  ['cpu-bound', cpuBoundRule],
];

export function decideVerdict(evidence: Evidence): Verdict {
  const held = RULES.flatMap(([bottleneck, rule]) => {
    const reason = rule(evidence);
    return reason === undefined ? [] : [{ bottleneck, reason }];
  });
  if (held.length === 0) {
    return { bottleneck: 'none', reason: 'no rule held', alsoSeen: [] };
  }
  const alsoSeen = new Set(held.slice(1).map((h) => h.bottleneck));
  alsoSeen.delete(held[0].bottleneck);
  return { ...held[0], alsoSeen: [...alsoSeen] };
}

export function formatVerdict(verdict: Verdict): string {
  const also = verdict.alsoSeen.length > 0 ? ` (also: ${verdict.alsoSeen.join(', ')})` : '';
  return `verdict: ${verdict.bottleneck}: ${verdict.reason}${also}`;
}

function errorsRule({ summary }: Evidence): string | undefined {
  if (summary.requests === 0 || summary.serverErrorRate < ERROR_RATE_THRESHOLD) return undefined;
  return `${percent(summary.serverErrorRate)} of ${summary.requests} requests answered 5xx`;
}

function nPlusOneRule({ requests, repeatedShapes }: Evidence): string | undefined {
  const { withSql } = requests;
  const top = repeatedShapes[0];
  if (!top || withSql === 0 || top.requests / withSql < N_PLUS_ONE_MIN_REQUEST_SHARE) {
    return undefined;
  }
  return (
    `${top.requests} of ${withSql} requests with SQL ran one shape up to ${top.maxRepeats} times: ` +
    `${clip(top.shape, VERDICT_SHAPE_WIDTH)} (e.g. ${top.examples[0]})`
  );
}

function slowSqlRule({ slowestShapes }: Evidence): string | undefined {
  const slow = slowestShapes.find((s) => s.p95Ms >= SLOW_SHAPE_P95_MS && s.shareOfSqlTime >= SLOW_SHAPE_MIN_SQL_SHARE);
  if (!slow) return undefined;
  return (
    `p95 ${slow.p95Ms} ms, ${percent(slow.shareOfSqlTime)} of SQL time: ` +
    `${clip(slow.shape, VERDICT_SHAPE_WIDTH)} (e.g. ${slow.examples[0] ?? 'outside requests'})`
  );
}

function poolExhaustionRule({ summary, requests }: Evidence): string | undefined {
  const waitingShare = requests.timed > 0 ? requests.waiting / requests.timed : 0;
  // Over requests that ran SQL only: health checks and 404s would pull both medians to zero.
  const { medianSqlMs, medianNonSqlMs } = requests;
  if (
    summary.medianQueryMs > FAST_QUERY_MS ||
    medianNonSqlMs < POOL_NON_SQL_TO_SQL_RATIO * medianSqlMs ||
    waitingShare < POOL_MIN_WAITING_SHARE ||
    summary.peakConcurrency < POOL_MIN_CONCURRENCY
  ) {
    return undefined;
  }
  return (
    `${percent(waitingShare)} of requests with SQL waited >= ${POOL_MIN_WAIT_MS} ms before their first query ` +
    `with up to ${summary.peakConcurrency} in flight; median ${roundMs(medianNonSqlMs)} ms outside SQL ` +
    `vs ${medianSqlMs} ms in it, median query ${summary.medianQueryMs} ms`
  );
}

function saturatedEventLoopRule({ summary }: Evidence): string | undefined {
  const utilization = summary.medianLoadedEventLoopUtilization;
  const delayMs = summary.medianLoadedEventLoopDelayMs;
  if (
    utilization === undefined ||
    delayMs === undefined ||
    utilization < SATURATED_EVENT_LOOP_UTILIZATION ||
    delayMs < SATURATED_EVENT_LOOP_DELAY_MS
  ) {
    return undefined;
  }
  return (
    `the event loop was busy ${percent(utilization)} of the time under load, its timers ${delayMs} ms late ` +
    `(p99; medians of the process metrics), so requests queue for the CPU and every duration measured in ` +
    `the process, SQL included, stretches`
  );
}

function cpuBoundRule({ summary }: Evidence): string | undefined {
  if (
    summary.medianRequestMs < SLOW_REQUEST_MS ||
    summary.medianSqlShare > CPU_MAX_SQL_SHARE ||
    summary.medianQueriesPerRequest > CPU_MAX_QUERIES
  ) {
    return undefined;
  }
  return (
    `median request ${summary.medianRequestMs} ms with ${percent(summary.medianSqlShare)} in SQL ` +
    `and ${summary.medianQueriesPerRequest} queries`
  );
}
