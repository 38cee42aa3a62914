import autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { openInChromium } from '../support/browser';
import { PlantedBottlenecksModule } from '../support/planted-bottlenecks.module';
import { deleteAllTodos, startTestApp } from '../support/test-app';

const ANALYZE = path.resolve(__dirname, '../../../../dist/libs/log-analysis/src/cli/analyze.js');
const TRACE = path.resolve(__dirname, '../../../../dist/libs/log-analysis/src/cli/trace.js');
/** Screenshots of the report pages, kept with the test results (git-ignored). */
const SCREENSHOTS = path.resolve(__dirname, '../../../../test-results');
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

  const logs = new Map<string, Promise<string>>();
  /** Runs load against one route for a few seconds and returns the log file; once per name. */
  function loadAndLog(name: string, scenario: Scenario): Promise<string> {
    let log = logs.get(name);
    if (!log) {
      log = runAndLog(name, scenario);
      logs.set(name, log);
    }
    return log;
  }

  async function runAndLog(name: string, scenario: Scenario): Promise<string> {
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

  const SLOW_QUERY: Scenario = { path: '/api/v1/planted/slow-query', connections: 10 };

  it('a slow query: slow-sql, with an example request whose trace shows the statement', async () => {
    const report = await analyze(await loadAndLog('slow-query', SLOW_QUERY));
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

  it('the HTML report of the slow query, in a real Chromium: no errors, no network, every chart drawn, the verdict and a trace', async () => {
    const logFile = await loadAndLog('slow-query', SLOW_QUERY);
    const html = path.join(dir, 'slow-query.html');
    const { stderr } = await run(process.execPath, [ANALYZE, logFile, '--html', html]);
    expect(stderr).toContain(`report written to ${html}`);

    const { browser, page, errors, requests } = await openInChromium(html);
    try {
      await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
      const shown = await page.evaluate(() => ({
        verdict: document.querySelector('#verdict')?.textContent ?? '',
        charts: Array.from(document.querySelectorAll<HTMLElement>('figure.chart')).map((figure) => ({
          title: figure.dataset.title,
          points: Number(figure.dataset.points),
          canvas: figure.querySelector('canvas') !== null,
        })),
        example: document.querySelector('#verdict a.request-id')?.getAttribute('href'),
      }));
      expect(shown.verdict).toContain('Verdict: slow-sql');
      expect(shown.verdict).toMatch(/pg_sleep/);
      // Requests, status, latency of the route, errors, SQL, in flight, four process charts, the distribution.
      expect(shown.charts.length).toBeGreaterThanOrEqual(11);
      for (const drawn of shown.charts) expect(drawn).toMatchObject({ points: expect.any(Number), canvas: true });
      expect(shown.charts.filter((c) => c.points === 0)).toEqual([]);

      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'analysis-report.png'), fullPage: true });

      // The verdict's example request opens its trace, with the slow statement, in the page.
      expect(shown.example).toMatch(/^#trace=/);
      await page.click('#verdict a.request-id');
      await page.waitForSelector('#trace:not([hidden])', { timeout: 5_000 });
      expect(await page.$eval('#trace', (panel) => panel.textContent)).toMatch(/pg_sleep/);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'analysis-report-trace.png') });

      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
