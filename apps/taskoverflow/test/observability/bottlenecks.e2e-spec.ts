import autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { PlantedBottlenecksModule } from '../support/planted-bottlenecks.module';
import { deleteAllTodos, startTestApp } from '../support/test-app';

const ANALYZE = path.resolve(__dirname, '../../../../dist/libs/log-analysis/src/cli/analyze.js');
const TRACE = path.resolve(__dirname, '../../../../dist/libs/log-analysis/src/cli/trace.js');
const run = promisify(execFile);

interface Scenario {
  path: string;
  connections: number;
  /** Requests per second over all connections; unset: as fast as the service answers. */
  rate?: number;
  env?: Record<string, string>;
}

interface AnalyzeReport {
  summary: { requests: number; medianLoadedEventLoopUtilization?: number };
  verdict: { bottleneck: string; reason: string; alsoSeen: string[] };
  failedRequests: unknown[];
}

/**
 * Each bottleneck class is planted in a route of a test-only module, the real
 * service runs it under load (autocannon, real HTTP, real PostgreSQL) writing
 * its JSON logs to a file, and the real `npm run analyze` CLI reads that file.
 */
describe('npm run analyze names the planted bottleneck', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'bottlenecks-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs load against one route for a few seconds and returns the log file. */
  async function loadAndLog(name: string, scenario: Scenario): Promise<string> {
    const logFile = path.join(dir, `${name}.log`);
    const destination = pino.destination({ dest: logFile, sync: true });
    const t = await startTestApp(
      // Process metrics often enough to cover a short run.
      { LOG_LEVEL: 'info', LOG_METRICS_INTERVAL_MS: '500', ...scenario.env },
      { logTo: destination, modules: [PlantedBottlenecksModule.register()] },
    );
    try {
      await deleteAllTodos(t.dataSource);
      await t.dataSource.query("INSERT INTO todos (title) SELECT 'todo ' || n FROM generate_series(1, 20) AS n");
      const result = await autocannon({
        url: `${t.baseUrl}${scenario.path}`,
        connections: scenario.connections,
        overallRate: scenario.rate,
        duration: 3,
      });
      expect(result.non2xx + result.errors + result.timeouts).toBe(0);
      expect(result.requests.total).toBeGreaterThan(5);
    } finally {
      await t.close();
      destination.flushSync();
    }
    return logFile;
  }

  async function analyze(logFile: string): Promise<AnalyzeReport> {
    const { stdout } = await run(process.execPath, [ANALYZE, logFile, '--json']);
    return JSON.parse(stdout) as AnalyzeReport;
  }

  it('a slow query: slow-sql, with an example request whose trace shows the statement', async () => {
    const report = await analyze(
      await loadAndLog('slow-query', { path: '/api/v1/planted/slow-query', connections: 10 }),
    );
    expect(report.verdict.bottleneck).toBe('slow-sql');
    expect(report.verdict.reason).toMatch(/pg_sleep/);

    const example = /\(e\.g\. ([^)]+)\)/.exec(report.verdict.reason)![1];
    const { stdout } = await run(process.execPath, [TRACE, example, path.join(dir, 'slow-query.log')]);
    expect(stdout).toMatch(/pg_sleep/);
    expect(stdout).toMatch(/Request finished|finished/);
  });

  it('an N+1 loop: n-plus-one, naming the repeated statement', async () => {
    const report = await analyze(
      await loadAndLog('n-plus-one', { path: '/api/v1/planted/n-plus-one', connections: 10 }),
    );
    expect(report.verdict.bottleneck).toBe('n-plus-one');
    expect(report.verdict.reason).toMatch(/SELECT title FROM todos WHERE id = \?/);
    expect(report.verdict.reason).toMatch(/up to 20 times/);
  });

  it('pool exhaustion (DB_POOL_SIZE=1, 20 connections, fast statements): pool-exhaustion', async () => {
    const report = await analyze(
      await loadAndLog('pool', { path: '/api/v1/planted/pool', connections: 20, env: { DB_POOL_SIZE: '1' } }),
    );
    expect(report.verdict.bottleneck).toBe('pool-exhaustion');
  });

  it('a CPU-heavy handler: cpu-bound, from the saturated event loop, though its stretched SQL looks slow too', async () => {
    // A saturated loop also delays opening pool connections past the 2 s default,
    // which would turn some answers into 503s and the verdict into "errors".
    const logFile = await loadAndLog('cpu', {
      path: '/api/v1/planted/cpu',
      connections: 10,
      env: { DB_CONNECT_TIMEOUT_MS: '10000' },
    });
    const report = await analyze(logFile);
    expect(report.verdict.bottleneck).toBe('cpu-bound');
    expect(report.verdict.reason).toMatch(/event loop was busy/);
    expect(report.summary.medianLoadedEventLoopUtilization).toBeGreaterThanOrEqual(0.9);
  });

  it('the plain list under light load (50 requests/s): no bottleneck, no failures', async () => {
    const report = await analyze(await loadAndLog('list', { path: '/api/v1/todos', connections: 4, rate: 50 }));
    expect(report.verdict.bottleneck).toBe('none');
    expect(report.failedRequests).toEqual([]);
    expect(report.summary.requests).toBeGreaterThanOrEqual(100);
  });
});
