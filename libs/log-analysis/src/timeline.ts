import type { ProcessTimeline, RouteTimeline, StatusMix, Timeline } from './analysis';
import { type NumberColumn, sortedNumbers, sortedPercentile } from './columns';

/** Bucket widths to choose from, smallest first: 1 s for a short run, coarser for a long one. */
export const BUCKET_WIDTHS_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 21_600_000, 43_200_000, 86_400_000,
];
/** Points per series at most: enough to see a ramp, few enough to draw at once. */
export const MAX_BUCKETS = 600;
/** Routes drawn one by one; the rest of the requests are drawn as one "other routes". */
export const MAX_ROUTE_SERIES = 8;
export const OTHER_ROUTES = 'other routes';
/** Processes drawn: the ones with the most metrics lines. */
export const MAX_PROCESS_SERIES = 16;
/** The percentiles of each route's latency distribution. */
export const LATENCY_PERCENTILES = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** One value per request, NaN where it has none (no start line, no finish line, no statement). */
export interface RequestColumns {
  startedAt: NumberColumn;
  /** NaN unless the request finished (a finish line with status and duration). */
  finishedAt: NumberColumn;
  durationMs: NumberColumn;
  status: NumberColumn;
  sqlMs: NumberColumn;
  queryCount: NumberColumn;
  waitBeforeFirstQueryMs: NumberColumn;
  /** Index into the route keys. */
  route: NumberColumn;
}

/** One `Process metrics` line. */
export interface ProcessSample {
  process: string;
  /** When the line was written: the end of its interval. */
  endMs: number;
  intervalMs: number;
  eventLoopUtilization: number;
  eventLoopDelayP99Ms?: number;
  cpuMs?: number;
  rssMb?: number;
}

export interface TimelineInput {
  requests: RequestColumns;
  routes: readonly string[];
  failedQueryTimes: ArrayLike<number>;
  samples: readonly ProcessSample[];
}

/** The smallest width in BUCKET_WIDTHS_MS that covers `spanMs` in MAX_BUCKETS buckets or fewer. */
export function chooseBucketMs(spanMs: number): number {
  return (
    BUCKET_WIDTHS_MS.find((width) => Math.floor(spanMs / width) + 1 <= MAX_BUCKETS) ??
    BUCKET_WIDTHS_MS[BUCKET_WIDTHS_MS.length - 1]
  );
}

export function buildTimeline({ requests, routes, failedQueryTimes, samples }: TimelineInput): Timeline {
  const count = requests.durationMs.length;
  const span = timeSpan(requests, failedQueryTimes, samples);
  const bucketMs = chooseBucketMs(span ? span.lastMs - span.firstMs : 0);
  const startMs = span ? Math.floor(span.firstMs / bucketMs) * bucketMs : 0;
  const buckets = span ? Math.floor((span.lastMs - startMs) / bucketMs) + 1 : 0;
  const bucketOf = (ms: number) => Math.min(buckets - 1, Math.max(0, Math.floor((ms - startMs) / bucketMs)));
  const zeros = () => new Array<number>(buckets).fill(0);
  const perSecond = (counts: number[]) => counts.map((n) => (n * 1000) / bucketMs);

  const drawn = drawnRoutes(requests, routes);
  const routeSeries = drawn.order.map(() => ({ counts: zeros(), durations: lists(buckets), all: [] as number[] }));
  const total = zeros();
  const status: Record<keyof StatusMix, number[]> = { '2xx': zeros(), '3xx': zeros(), '4xx': zeros(), '5xx': zeros() };
  const sqlMs = lists(buckets);
  const waits = lists(buckets);
  for (let i = 0; i < count; i++) {
    const finishedAt = requests.finishedAt.get(i);
    if (Number.isNaN(finishedAt)) continue;
    const b = bucketOf(finishedAt);
    const duration = requests.durationMs.get(i);
    total[b]++;
    status[statusClass(requests.status.get(i))][b]++;
    const series = routeSeries[drawn.seriesOf[requests.route.get(i)]];
    series.counts[b]++;
    series.durations[b].push(duration);
    series.all.push(duration);
    sqlMs[b].push(requests.sqlMs.get(i));
    const wait = requests.waitBeforeFirstQueryMs.get(i);
    if (!Number.isNaN(wait)) waits[b].push(wait);
  }

  const failedQueries = zeros();
  for (let i = 0; i < failedQueryTimes.length; i++) failedQueries[bucketOf(failedQueryTimes[i])]++;

  const routeTimelines: RouteTimeline[] = drawn.order.map((name, r) => {
    const { counts, durations, all } = routeSeries[r];
    const percentiles = durations.map((values) => sortedNumbers(values));
    const at = (q: number) => percentiles.map((sorted) => sortedPercentile(sorted, q) ?? null);
    const sortedAll = sortedNumbers(all);
    return {
      route: name,
      requestsPerSecond: perSecond(counts),
      p50Ms: at(0.5),
      p95Ms: at(0.95),
      p99Ms: at(0.99),
      distribution: LATENCY_PERCENTILES.map((q) => [q * 100, sortedPercentile(sortedAll, q) ?? 0]),
    };
  });

  return {
    bucketMs,
    times: Array.from({ length: buckets }, (_, b) => startMs + b * bucketMs),
    requestsPerSecond: perSecond(total),
    statusPerSecond: {
      '2xx': perSecond(status['2xx']),
      '3xx': perSecond(status['3xx']),
      '4xx': perSecond(status['4xx']),
      '5xx': perSecond(status['5xx']),
    },
    routes: routeTimelines,
    serverErrors: status['5xx'],
    failedQueries,
    sqlMsMean: sqlMs.map((values) => (values.length > 0 ? round(mean(values)) : null)),
    sqlMsP95: sqlMs.map((values) => sortedPercentile(sortedNumbers(values), 0.95) ?? null),
    waitBeforeFirstQueryMsP95: waits.map((values) => sortedPercentile(sortedNumbers(values), 0.95) ?? null),
    inFlight: inFlight(requests, buckets, bucketOf),
    processes: processTimelines(samples, buckets, bucketOf),
  };
}

function timeSpan(
  requests: RequestColumns,
  failedQueryTimes: ArrayLike<number>,
  samples: readonly ProcessSample[],
): { firstMs: number; lastMs: number } | undefined {
  let firstMs = Infinity;
  let lastMs = -Infinity;
  const see = (ms: number) => {
    if (Number.isNaN(ms)) return;
    if (ms < firstMs) firstMs = ms;
    if (ms > lastMs) lastMs = ms;
  };
  for (let i = 0; i < requests.durationMs.length; i++) {
    see(requests.startedAt.get(i));
    see(requests.finishedAt.get(i));
  }
  for (let i = 0; i < failedQueryTimes.length; i++) see(failedQueryTimes[i]);
  for (const sample of samples) see(sample.endMs);
  return firstMs <= lastMs ? { firstMs, lastMs } : undefined;
}

/**
 * The routes with the most finished requests get a series each, most requests
 * first; the others share one. seriesOf maps a route index to its series.
 */
function drawnRoutes(requests: RequestColumns, routes: readonly string[]): { order: string[]; seriesOf: number[] } {
  const counts = new Array<number>(routes.length).fill(0);
  for (let i = 0; i < requests.durationMs.length; i++) {
    if (!Number.isNaN(requests.finishedAt.get(i))) counts[requests.route.get(i)]++;
  }
  const ranked = routes
    .map((route, index) => ({ route, index, count: counts[index] }))
    .filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count || a.route.localeCompare(b.route));
  const own = ranked.length <= MAX_ROUTE_SERIES ? ranked : ranked.slice(0, MAX_ROUTE_SERIES - 1);
  const order = own.map((r) => r.route);
  const seriesOf = new Array<number>(routes.length).fill(order.length);
  own.forEach((r, series) => (seriesOf[r.index] = series));
  if (own.length < ranked.length) order.push(OTHER_ROUTES);
  return { order, seriesOf };
}

/** The most requests in flight at once in each bucket, from start and finish times. */
function inFlight(requests: RequestColumns, buckets: number, bucketOf: (ms: number) => number): number[] {
  const starts: number[] = [];
  const finishes: number[] = [];
  for (let i = 0; i < requests.durationMs.length; i++) {
    const startedAt = requests.startedAt.get(i);
    const finishedAt = requests.finishedAt.get(i);
    if (Number.isNaN(startedAt) || Number.isNaN(finishedAt)) continue;
    starts.push(startedAt);
    finishes.push(finishedAt);
  }
  const sortedStarts = Float64Array.from(starts).sort();
  const sortedFinishes = Float64Array.from(finishes).sort();
  const peak = new Array<number>(buckets).fill(0);
  let current = 0;
  let s = 0;
  let f = 0;
  let bucket = 0;
  while (s < sortedStarts.length || f < sortedFinishes.length) {
    // At a tie a finish comes first: back-to-back requests do not overlap.
    const finishFirst = f < sortedFinishes.length && (s >= sortedStarts.length || sortedFinishes[f] <= sortedStarts[s]);
    const at = finishFirst ? sortedFinishes[f++] : sortedStarts[s++];
    const b = bucketOf(at);
    // A request in flight across buckets counts in each of them.
    for (; bucket < b; bucket++) peak[bucket + 1] = Math.max(peak[bucket + 1], current);
    current += finishFirst ? -1 : 1;
    peak[b] = Math.max(peak[b], current);
  }
  return peak;
}

function processTimelines(
  samples: readonly ProcessSample[],
  buckets: number,
  bucketOf: (ms: number) => number,
): ProcessTimeline[] {
  const byProcess = new Map<string, ProcessSample[]>();
  for (const sample of samples) {
    const list = byProcess.get(sample.process);
    if (list) list.push(sample);
    else byProcess.set(sample.process, [sample]);
  }
  return [...byProcess]
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .slice(0, MAX_PROCESS_SERIES)
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([process, list]) => {
      const utilization = lists(buckets);
      const delay = lists(buckets);
      const cpuMs = new Array<number>(buckets).fill(0);
      const wallMs = new Array<number>(buckets).fill(0);
      const rss = lists(buckets);
      for (const sample of list) {
        const b = bucketOf(sample.endMs);
        utilization[b].push(sample.eventLoopUtilization);
        if (sample.eventLoopDelayP99Ms !== undefined) delay[b].push(sample.eventLoopDelayP99Ms);
        if (sample.cpuMs !== undefined && sample.intervalMs > 0) {
          cpuMs[b] += sample.cpuMs;
          wallMs[b] += sample.intervalMs;
        }
        if (sample.rssMb !== undefined) rss[b].push(sample.rssMb);
      }
      return {
        process,
        eventLoopUtilization: utilization.map((values) => (values.length > 0 ? round(mean(values)) : null)),
        eventLoopDelayP99Ms: delay.map((values) => (values.length > 0 ? Math.max(...values) : null)),
        cpuPercent: cpuMs.map((ms, b) => (wallMs[b] > 0 ? round((ms / wallMs[b]) * 100) : null)),
        rssMb: rss.map((values) => (values.length > 0 ? Math.max(...values) : null)),
      };
    });
}

export function statusClass(status: number): keyof StatusMix {
  return `${Math.min(5, Math.max(2, Math.floor(status / 100)))}xx` as keyof StatusMix;
}

function lists(length: number): number[][] {
  return Array.from({ length }, () => []);
}

function mean(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total / values.length;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
