import { logOf, metricsLine, type SyntheticRequest } from '../test/synthetic-log';
import { analyze } from './analyze';
import type { LogLine } from './log-line';
import { chooseBucketMs, MAX_BUCKETS, MAX_ROUTE_SERIES, OTHER_ROUTES } from './timeline';

const T0 = Date.UTC(2026, 0, 1);

function timelineOf(lines: LogLine[]) {
  return analyze(lines).timeline;
}

describe('chooseBucketMs', () => {
  it('uses 1 s buckets while a run fits in MAX_BUCKETS of them', () => {
    expect(chooseBucketMs(0)).toBe(1000);
    expect(chooseBucketMs((MAX_BUCKETS - 1) * 1000)).toBe(1000);
  });

  it('chooses the smallest coarser width for longer runs', () => {
    expect(chooseBucketMs(MAX_BUCKETS * 1000)).toBe(2000);
    expect(chooseBucketMs(60 * 60_000)).toBe(10_000);
    expect(chooseBucketMs(24 * 60 * 60_000)).toBe(300_000);
  });

  it('never gives more than MAX_BUCKETS buckets', () => {
    for (const span of [1, 599_999, 1_199_999, 3_600_000, 86_400_000, 7 * 86_400_000]) {
      expect(Math.floor(span / chooseBucketMs(span)) + 1).toBeLessThanOrEqual(MAX_BUCKETS);
    }
  });
});

describe('the timeline', () => {
  it('is empty for a log without requests or metrics', () => {
    expect(timelineOf([])).toMatchObject({ times: [], requestsPerSecond: [], routes: [], processes: [] });
  });

  it('counts requests per second by the bucket of their finish line, per status class and per route', () => {
    const requests: SyntheticRequest[] = [
      { id: 'a', startMs: T0, durationMs: 10, status: 200 },
      { id: 'b', startMs: T0 + 100, durationMs: 10, status: 200 },
      { id: 'c', startMs: T0 + 200, durationMs: 10, status: 500 },
      // Finishes in the third second.
      { id: 'd', startMs: T0 + 2500, durationMs: 10, status: 404, route: '/api/v1/todos/:id', url: '/api/v1/todos/9' },
    ];

    const timeline = timelineOf(logOf(requests));

    expect(timeline.bucketMs).toBe(1000);
    expect(timeline.times).toEqual([T0, T0 + 1000, T0 + 2000]);
    expect(timeline.requestsPerSecond).toEqual([3, 0, 1]);
    expect(timeline.statusPerSecond).toEqual({
      '2xx': [2, 0, 0],
      '3xx': [0, 0, 0],
      '4xx': [0, 0, 1],
      '5xx': [1, 0, 0],
    });
    expect(timeline.serverErrors).toEqual([1, 0, 0]);
    expect(timeline.routes.map((r) => [r.route, r.requestsPerSecond])).toEqual([
      ['GET /api/v1/todos', [3, 0, 0]],
      ['GET /api/v1/todos/:id', [0, 0, 1]],
    ]);
  });

  it('gives each bucket its own latency percentiles, null where a route had no request', () => {
    const requests: SyntheticRequest[] = Array.from({ length: 100 }, (_, i) => ({
      id: `r${i}`,
      startMs: T0 + i * 5,
      durationMs: i + 1,
    }));
    requests.push({ id: 'late', startMs: T0 + 2000, durationMs: 7 });

    const [route] = timelineOf(logOf(requests)).routes;

    expect(route.p50Ms).toEqual([50, null, 7]);
    expect(route.p95Ms).toEqual([95, null, 7]);
    expect(route.p99Ms).toEqual([99, null, 7]);
    expect(route.distribution).toContainEqual([50, 50]);
    expect(route.distribution).toContainEqual([100, 100]);
    expect(route.distribution[0]).toEqual([0, 1]);
  });

  it('per bucket, averages SQL time per request and takes the p95 of the waits for a first statement', () => {
    const requests: SyntheticRequest[] = [
      { id: 'a', startMs: T0, durationMs: 20, queries: [{ query: 'SELECT 1', atMs: 2, durationMs: 4 }] },
      { id: 'b', startMs: T0 + 10, durationMs: 30, queries: [{ query: 'SELECT 1', atMs: 12, durationMs: 8 }] },
      { id: 'c', startMs: T0 + 1500, durationMs: 10 },
    ];

    const timeline = timelineOf(logOf(requests));

    expect(timeline.sqlMsMean).toEqual([6, 0]);
    expect(timeline.sqlMsP95).toEqual([8, 0]);
    expect(timeline.waitBeforeFirstQueryMsP95).toEqual([12, null]);
  });

  it('counts the most requests in flight in each bucket, a long request in every bucket it spans', () => {
    const requests: SyntheticRequest[] = [
      { id: 'long', startMs: T0, durationMs: 3500 },
      { id: 'x', startMs: T0 + 100, durationMs: 50 },
      { id: 'y', startMs: T0 + 120, durationMs: 50 },
      // Back to back with y: they do not overlap.
      { id: 'z', startMs: T0 + 170, durationMs: 10 },
    ];

    const analysis = analyze(logOf(requests));

    expect(analysis.timeline.inFlight).toEqual([3, 1, 1, 1]);
    expect(analysis.summary.peakConcurrency).toBe(3);
  });

  it('draws the busiest routes one by one and the rest as one series', () => {
    const routes = MAX_ROUTE_SERIES + 3;
    const requests: SyntheticRequest[] = [];
    for (let r = 0; r < routes; r++) {
      // Route r gets routes - r requests, so the order is known.
      for (let i = 0; i < routes - r; i++) {
        requests.push({ id: `${r}-${i}`, route: `/r${r}`, url: `/r${r}`, startMs: T0 + i * 10, durationMs: 5 });
      }
    }

    const drawn = timelineOf(logOf(requests)).routes;

    expect(drawn).toHaveLength(MAX_ROUTE_SERIES);
    expect(drawn.slice(0, -1).map((r) => r.route)).toEqual(
      Array.from({ length: MAX_ROUTE_SERIES - 1 }, (_, r) => `GET /r${r}`),
    );
    const other = drawn.at(-1)!;
    expect(other.route).toBe(OTHER_ROUTES);
    // Routes MAX_ROUTE_SERIES-1 .. routes-1 had 4, 3, 2 and 1 requests.
    expect(other.requestsPerSecond).toEqual([4 + 3 + 2 + 1]);
  });

  it('turns each process’s metrics lines into event-loop, CPU and memory series', () => {
    const line = (atMs: number, pid: number, utilization: number, cpuMs: number, rssMb: number): LogLine => ({
      ...metricsLine(atMs, utilization, 10 + pid, 1000),
      pid,
      cpu_user_ms: cpuMs * 0.75,
      cpu_system_ms: cpuMs * 0.25,
      rss_mb: rssMb,
    });
    const lines = [
      line(T0 + 1000, 1, 0.5, 500, 100),
      line(T0 + 1000, 2, 0.9, 1000, 150),
      line(T0 + 3000, 1, 0.7, 200, 120),
    ];

    const { processes, times } = timelineOf(lines);

    expect(times).toHaveLength(3);
    expect(processes.map((p) => p.process)).toEqual(['test/1', 'test/2']);
    expect(processes[0]).toMatchObject({
      eventLoopUtilization: [0.5, null, 0.7],
      cpuPercent: [50, null, 20],
      rssMb: [100, null, 120],
      eventLoopDelayP99Ms: [11, null, 11],
    });
    expect(processes[1]).toMatchObject({ eventLoopUtilization: [0.9, null, null], cpuPercent: [100, null, null] });
  });
});
