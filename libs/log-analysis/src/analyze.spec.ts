import {
  GET_QUERY,
  healthyTraffic,
  LIST_QUERY,
  logOf,
  metricsLine,
  type SyntheticRequest,
} from '../test/synthetic-log';
import { analyze } from './analyze';
import { formatAnalysis } from './report';
import { formatVerdict } from './verdict';

const T0 = Date.UTC(2026, 0, 1);

describe('analyze', () => {
  it('reports each route with its status mix and duration percentiles', () => {
    const requests: SyntheticRequest[] = Array.from({ length: 100 }, (_, i) => ({
      id: `get-${i}`,
      route: '/api/v1/todos/:id',
      url: `/api/v1/todos/${i + 1}`,
      startMs: T0 + i * 200,
      durationMs: i + 1,
      status: i < 90 ? 200 : 404,
    }));
    requests.push({
      id: 'unknown',
      route: undefined,
      url: '/nope?x=1',
      startMs: T0 + 50_000,
      durationMs: 1,
      status: 404,
    });
    const lines = logOf(requests);
    // An unmatched route's finish line has no route: the path stands in for it.
    delete lines.find((line) => line.request_id === 'unknown' && line.status_code)!.route;

    const { routes } = analyze(lines);

    expect(routes).toEqual([
      {
        route: 'GET /api/v1/todos/:id',
        count: 100,
        status: { '2xx': 90, '3xx': 0, '4xx': 10, '5xx': 0 },
        p50Ms: 50,
        p95Ms: 95,
        p99Ms: 99,
      },
      {
        route: 'GET /nope',
        count: 1,
        status: { '2xx': 0, '3xx': 0, '4xx': 1, '5xx': 0 },
        p50Ms: 1,
        p95Ms: 1,
        p99Ms: 1,
      },
    ]);
  });

  it('sums each request’s SQL time and queries, and counts requests past the query limit', () => {
    const lines = logOf([
      {
        id: 'busy',
        startMs: T0,
        durationMs: 40,
        queries: Array.from({ length: 4 }, (_, i) => ({
          query: `SELECT ${i}`,
          atMs: 5 + i * 5,
          durationMs: 2,
        })),
      },
      { id: 'quiet', startMs: T0 + 100, durationMs: 10 },
    ]);

    const analysis = analyze(lines, { manyQueries: 3 });

    expect(analysis.slowestRequests.find((r) => r.requestId === 'busy')).toMatchObject({
      durationMs: 40,
      sqlMs: 8,
      queryCount: 4,
      waitBeforeFirstQueryMs: 5,
    });
    expect(analysis.slowestRequests.find((r) => r.requestId === 'quiet')).toMatchObject({
      sqlMs: 0,
      queryCount: 0,
    });
    expect(analysis.summary).toMatchObject({
      requests: 2,
      requestsWithManyQueries: 1,
      manyQueriesExamples: ['busy'],
      // busy: 8 / 40, quiet: 0 / 10; the nearest-rank median of two is the lower.
      medianSqlShare: 0,
    });
  });

  it('lists the slowest SQL shapes with the requests of their slowest runs', () => {
    const lines = logOf(
      [5, 50, 500, 30, 1].map((durationMs, i) => ({
        id: `r${i}`,
        startMs: T0 + i * 1000,
        durationMs: durationMs + 10,
        queries: [{ query: `SELECT * FROM todos WHERE id = ${i}`, atMs: 2, durationMs }],
      })),
    );

    const [shape] = analyze(lines).slowestShapes;

    expect(shape).toMatchObject({
      shape: 'SELECT * FROM todos WHERE id = ?',
      count: 5,
      totalMs: 586,
      p95Ms: 500,
      shareOfSqlTime: 1,
      examples: ['r2', 'r1', 'r3'],
    });
  });

  it('lists 5xx responses and failed queries with their request ids', () => {
    const lines = logOf([
      ...healthyTraffic(3),
      {
        id: 'broken',
        method: 'POST',
        startMs: T0 + 5000,
        durationMs: 8,
        status: 500,
        queries: [{ query: 'INSERT INTO todos (title) VALUES ($1)', atMs: 2, durationMs: 1, errorCode: '23505' }],
      },
    ]);

    const analysis = analyze(lines);

    expect(analysis.failedRequests).toEqual([{ requestId: 'broken', route: 'POST /api/v1/todos', status: 500 }]);
    expect(analysis.failedQueries).toEqual([
      { requestId: 'broken', shape: 'INSERT INTO todos (title) VALUES (?)', errorCode: '23505' },
    ]);
    expect(analysis.slowestShapes.find((s) => s.shape.startsWith('INSERT'))?.failures).toBe(1);
  });

  it('computes the peak number of requests in flight', () => {
    const lines = logOf([
      { id: 'a', startMs: T0, durationMs: 100 },
      { id: 'b', startMs: T0 + 10, durationMs: 100 },
      { id: 'c', startMs: T0 + 20, durationMs: 10 },
      // Starts as a finishes: back to back, not overlapping.
      { id: 'd', startMs: T0 + 100, durationMs: 5 },
    ]);
    expect(analyze(lines).summary.peakConcurrency).toBe(3);
  });

  it('counts a reused request id as two requests, with or without start lines', () => {
    const twice: SyntheticRequest[] = [
      { id: 'reused', startMs: T0, durationMs: 10, queries: [{ query: GET_QUERY, atMs: 2, durationMs: 3 }] },
      { id: 'reused', startMs: T0 + 50, durationMs: 20, status: 404 },
    ];
    for (const startLine of [false, true]) {
      const analysis = analyze(logOf(twice.map((request) => ({ ...request, startLine }))));
      expect(analysis.summary.requests).toBe(2);
      expect(analysis.routes.map((route) => [route.count, route.status])).toEqual([
        [2, { '2xx': 1, '3xx': 0, '4xx': 1, '5xx': 0 }],
      ]);
      expect(analysis.slowestRequests.map((request) => [request.durationMs, request.queryCount])).toEqual([
        [20, 0],
        [10, 1],
      ]);
    }
  });

  it('finds the same with start lines (LOG_REQUEST_START=true) as from the finish lines alone', () => {
    const requests: SyntheticRequest[] = [
      ...healthyTraffic(20),
      {
        id: 'waited',
        startMs: T0 + 3,
        durationMs: 45,
        queries: [{ query: GET_QUERY, atMs: 30, durationMs: 4 }],
      },
    ];
    const withStartLines = analyze(logOf(requests.map((request) => ({ ...request, startLine: true }))));
    const withoutStartLines = analyze(logOf(requests));

    expect(withoutStartLines).toEqual(withStartLines);
    expect(withoutStartLines.slowestRequests.find((r) => r.requestId === 'waited')).toMatchObject({
      waitBeforeFirstQueryMs: 30,
      startedAt: T0 + 3,
    });
  });
});

describe('the verdict', () => {
  it('is none for healthy traffic', () => {
    const analysis = analyze(logOf(healthyTraffic(100)));
    expect(analysis.verdict).toEqual({ bottleneck: 'none', reason: 'no rule held', alsoSeen: [] });
    expect(formatAnalysis(analysis).trimEnd().split('\n').at(-1)).toBe('verdict: none: no rule held');
  });

  it('names errors when at least 1% of requests answer 5xx', () => {
    const broken = (i: number): SyntheticRequest => ({
      id: `broken-${i}`,
      startMs: T0 + 100_000 + i * 20,
      durationMs: 5,
      status: 503,
    });
    expect(analyze(logOf([...healthyTraffic(99), broken(0)])).verdict.bottleneck).toBe('errors');
    expect(analyze(logOf([...healthyTraffic(101), broken(0)])).verdict.bottleneck).toBe('none');
  });

  it('names n-plus-one when requests run one shape per item of a list', () => {
    const requests: SyntheticRequest[] = Array.from({ length: 20 }, (_, i) => ({
      id: `n1-${i}`,
      startMs: T0 + i * 100,
      durationMs: 30,
      queries: [
        { query: LIST_QUERY, atMs: 2, durationMs: 1 },
        ...Array.from({ length: 8 }, (_, item) => ({
          query: GET_QUERY.replace('$1', String(item + 1)),
          atMs: 4 + item * 3,
          durationMs: 1,
        })),
      ],
    }));

    const analysis = analyze(logOf([...healthyTraffic(20), ...requests]));

    expect(analysis.verdict.bottleneck).toBe('n-plus-one');
    expect(analysis.repeatedShapes).toEqual([
      {
        shape: 'SELECT id, title FROM todos WHERE id = ?',
        requests: 20,
        maxRepeats: 8,
        examples: ['n1-0', 'n1-1', 'n1-2'],
      },
    ]);
  });

  it('names slow-sql when one slow shape takes most of the SQL time', () => {
    const reports: SyntheticRequest[] = Array.from({ length: 10 }, (_, i) => ({
      id: `report-${i}`,
      startMs: T0 + 10_000 + i * 1000,
      durationMs: 310,
      queries: [{ query: 'SELECT count(*) FROM todos t JOIN todos u ON true', atMs: 3, durationMs: 300 }],
    }));

    const { verdict } = analyze(logOf([...healthyTraffic(50), ...reports]));

    expect(verdict.bottleneck).toBe('slow-sql');
    expect(formatVerdict(verdict)).toMatch(
      /^verdict: slow-sql: p95 300 ms, 96\.8% of SQL time: SELECT count\(\*\) FROM todos .* \(e\.g\. report-\d\)$/,
    );
  });

  it('names cpu-bound before slow-sql when the event loop was saturated under load: in-process SQL timings stretch with it', () => {
    // Cheap statements that look slow because their results waited for a busy event loop.
    const stretched: SyntheticRequest[] = Array.from({ length: 20 }, (_, i) => ({
      id: `busy-${i}`,
      startMs: T0 + i * 250,
      durationMs: 240,
      queries: [{ query: 'SELECT count(*) FROM todos', atMs: 2, durationMs: 120 }],
    }));
    const busy = [1, 2, 3, 4, 5].map((s) => metricsLine(T0 + s * 1000, 0.97, 120));
    const lines = [...logOf(stretched), ...busy];

    const { summary, verdict } = analyze(lines);

    expect(summary.medianLoadedEventLoopUtilization).toBe(0.97);
    expect(verdict.bottleneck).toBe('cpu-bound');
    expect(verdict.alsoSeen).toContain('slow-sql');
    expect(formatVerdict(verdict)).toMatch(/event loop was busy 97\.0% of the time under load, its timers 120 ms late/);
    // Busy but prompt (a process starved by its neighbours): not a saturated loop.
    const prompt = [1, 2, 3, 4, 5].map((s) => metricsLine(T0 + s * 1000, 0.97, 20));
    expect(analyze([...logOf(stretched), ...prompt]).verdict.bottleneck).toBe('slow-sql');
    // Without the metrics lines, the same log reads as slow SQL.
    expect(analyze(logOf(stretched)).verdict.bottleneck).toBe('slow-sql');
  });

  it('judges the event loop only over intervals in which requests finished', () => {
    const requests = healthyTraffic(40, T0);
    // Busy while nothing was served (start-up, a batch job), then idle under load.
    const metrics = [
      metricsLine(T0 - 3000, 1),
      metricsLine(T0 - 2000, 1),
      metricsLine(T0 - 1000, 1),
      metricsLine(T0 + 1000, 0.2),
    ];
    const { summary, verdict } = analyze([...logOf(requests), ...metrics]);
    expect(summary.medianLoadedEventLoopUtilization).toBe(0.2);
    expect(verdict.bottleneck).toBe('none');
    expect(analyze(logOf(requests)).summary.medianLoadedEventLoopUtilization).toBeUndefined();
  });

  it('names pool-exhaustion when fast queries wait for a connection under concurrency', () => {
    // 40 requests arrive together; with a pool of 10 each wave waits for the one before.
    const requests: SyntheticRequest[] = Array.from({ length: 40 }, (_, i) => {
      const sentAt = 2 + Math.floor(i / 10) * 60;
      return {
        id: `queued-${i}`,
        startMs: T0,
        durationMs: sentAt + 6,
        queries: [{ query: LIST_QUERY, atMs: sentAt, durationMs: 3 }],
      };
    });

    const { verdict, summary } = analyze(logOf(requests));

    expect(summary.peakConcurrency).toBe(40);
    expect(verdict.bottleneck).toBe('pool-exhaustion');
  });

  it('does not blame the pool for the same gaps one request at a time', () => {
    const requests: SyntheticRequest[] = Array.from({ length: 40 }, (_, i) => ({
      id: `serial-${i}`,
      startMs: T0 + i * 1000,
      durationMs: 128,
      queries: [{ query: LIST_QUERY, atMs: 122, durationMs: 3 }],
    }));
    expect(analyze(logOf(requests)).verdict.bottleneck).toBe('cpu-bound');
  });

  it('names cpu-bound when slow requests spend little time in few queries', () => {
    const requests: SyntheticRequest[] = Array.from({ length: 30 }, (_, i) => ({
      id: `render-${i}`,
      startMs: T0 + i * 1000,
      durationMs: 300,
      queries: [{ query: LIST_QUERY, atMs: 2, durationMs: 4 }],
    }));
    expect(analyze(logOf(requests)).verdict.bottleneck).toBe('cpu-bound');
  });

  it('names the first class by precedence and the others as also seen', () => {
    const requests: SyntheticRequest[] = Array.from({ length: 10 }, (_, i) => ({
      id: `both-${i}`,
      startMs: T0 + i * 100,
      durationMs: 30,
      status: 500,
      queries: Array.from({ length: 6 }, (_, item) => ({
        query: GET_QUERY,
        atMs: 2 + item * 3,
        durationMs: 1,
      })),
    }));

    const { verdict } = analyze(logOf(requests));

    expect(verdict.bottleneck).toBe('errors');
    expect(verdict.alsoSeen).toEqual(['n-plus-one']);
    expect(formatVerdict(verdict)).toBe('verdict: errors: 100.0% of 10 requests answered 5xx (also: n-plus-one)');
  });
});
