import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runRunner } from '@test/k6-runner/support/runner';
import { spawnService, type ServiceProcess } from '../support/service-process';
import { MAX_PAGE_SIZE } from '../../src/todos/dto/todo.schema';
import { startTestApp, workerDatabaseUrl } from '../support/test-app';

const ROOT = path.resolve(__dirname, '../../../..');
const LOADTEST = path.join(ROOT, 'scripts/loadtest.mjs');
const PRACTICAL = path.join(__dirname, '../fixtures/practical-planners-and-studiers.js');

/** PATH without any k6, so `npm run loadtest` takes the project's runner even where k6 is installed. */
function pathWithoutK6(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => {
      try {
        accessSync(path.join(dir, 'k6'), constants.X_OK);
        return false;
      } catch {
        return true;
      }
    })
    .join(path.delimiter);
}

interface LoadtestOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

function loadtest(args: string[], env: Record<string, string>): Promise<LoadtestOutcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [LOADTEST, ...args],
      {
        cwd: ROOT,
        env: { PATH: pathWithoutK6(), HOME: process.env.HOME ?? '', WEB_CONCURRENCY: '1', ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    );
  });
}

interface SummaryJson {
  metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
  root_group: SummaryGroup;
}
interface SummaryGroup {
  name: string;
  groups: SummaryGroup[];
  checks: { name: string; passes: number; fails: number }[];
}

function allChecks(group: SummaryGroup): { name: string; passes: number; fails: number }[] {
  return [...group.checks, ...group.groups.flatMap(allChecks)];
}

/**
 * The load-testing loop on a machine without k6: `npm run loadtest` starts the
 * real service on PostgreSQL, runs the project's scenarios with the project's
 * runner over real HTTP, keeps the service's log and reads its verdict.
 */
describe('npm run loadtest with the k6-compatible runner', () => {
  let results: string;
  beforeEach(() => (results = mkdtempSync(path.join(tmpdir(), 'loadtest-'))));
  afterEach(() => rmSync(results, { recursive: true, force: true }));

  const env = () => ({ DATABASE_URL: workerDatabaseUrl(), RESULTS_DIR: results });

  it("runs the smoke test with every check passing, and ends at the service log's verdict", async () => {
    const outcome = await loadtest(['smoke'], env());
    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toMatch(/engine: the project's k6-compatible runner/);
    const summary = JSON.parse(readFileSync(path.join(results, 'smoke.json'), 'utf8')) as SummaryJson;
    const checks = allChecks(summary.root_group);
    expect(checks.length).toBeGreaterThan(30);
    expect(checks.filter((c) => c.fails > 0)).toEqual([]);
    expect(checks.every((c) => c.passes === 1)).toBe(true);
    expect(summary.metrics.checks.thresholds).toEqual({ 'rate==1': { ok: true } });
    expect(existsSync(path.join(results, 'smoke.junit.xml'))).toBe(true);
    // The service's own log of the run, analysed after it.
    const serviceLog = readFileSync(path.join(results, 'smoke.service.log'), 'utf8');
    expect(serviceLog).toMatch(/"request_id":"smoke-vu1-it0-r\d+"/);
    expect(outcome.stderr).toMatch(/What the service's log says \(npm run analyze -- .*smoke\.service\.log\)/);
    expect(outcome.stderr).toMatch(/requests finished +2\d/);
    expect(outcome.stderr).toMatch(/verdict: /);
    // ...and its report page, with the run's requests in it.
    expect(outcome.stderr).toMatch(/report with charts: .*smoke\.report\.html/);
    const page = readFileSync(path.join(results, 'smoke.report.html'), 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<title>TaskOverflow load test: smoke</title>');
    expect(page).toMatch(/smoke-vu1-it0-r\d+/);
  }, 120_000);

  it('with API_KEY, gives the started service that key and sends it on every request', async () => {
    const outcome = await loadtest(['smoke'], { ...env(), API_KEY: 'load-test-key-0123456789abcdefghijklmnop' });
    expect(outcome.code).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(results, 'smoke.json'), 'utf8')) as SummaryJson;
    expect(allChecks(summary.root_group).filter((c) => c.fails > 0)).toEqual([]);
    const serviceLog = readFileSync(path.join(results, 'smoke.service.log'), 'utf8');
    expect(serviceLog).toContain('API keys required (1 accepted)');
    const finished = serviceLog
      .split('\n')
      .filter((line) => line.includes('"Request finished"'))
      .map((line) => JSON.parse(line) as { route?: string; status_code: number });
    expect(finished.length).toBeGreaterThan(20);
    // The service required the key, and every request of the scenario had it.
    expect(finished.filter((line) => line.status_code === 401)).toEqual([]);
  }, 120_000);

  it('passes the smoke test on a deployment whose list holds more todos than one answer', async () => {
    // A long-lived deployment: its own todos fill the first answers (1000 todos each).
    const seeder = await startTestApp();
    await seeder.dataSource.query(
      `INSERT INTO todos (title) SELECT 'older todo ' || n FROM generate_series(1, ${2 * MAX_PAGE_SIZE + 1}) AS n`,
    );
    try {
      const outcome = await loadtest(['smoke'], env());
      expect(outcome.code).toBe(0);
      const summary = JSON.parse(readFileSync(path.join(results, 'smoke.json'), 'utf8')) as SummaryJson;
      const checks = allChecks(summary.root_group);
      expect(checks.filter((c) => c.fails > 0)).toEqual([]);
      expect(checks.map((c) => c.name)).toContain(
        'GET /todos holds at most 1000 todos, and names the next page when full',
      );
    } finally {
      await seeder.dataSource.query("DELETE FROM todos WHERE title LIKE 'older todo %'");
      await seeder.close();
    }
  }, 120_000);

  it('runs a shortened planners-and-studiers with every check of both scenarios passing', async () => {
    const outcome = await loadtest(['planners-and-studiers'], {
      ...env(),
      STUDIERS: '20',
      PLANNERS: '3',
      ITERATIONS: '9',
      DURATION_SCALE: '0.05',
      THINK_SCALE: '0.02',
    });
    expect(outcome.code).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(results, 'planners-and-studiers.json'), 'utf8')) as SummaryJson;
    const checks = allChecks(summary.root_group);
    expect(checks.filter((c) => c.fails > 0)).toEqual([]);
    for (const name of [
      'planner: create status is 201',
      'planner: deleted todo is gone (404)',
      'studier: list status is 200',
    ]) {
      expect(checks.find((c) => c.name === name)?.passes).toBeGreaterThan(0);
    }
    expect(checks.find((c) => c.name === 'planner: create status is 201')?.passes).toBe(9);
    for (const thresholds of Object.values(summary.metrics).flatMap((m) => Object.values(m.thresholds ?? {}))) {
      expect(thresholds.ok).toBe(true);
    }
  }, 180_000);

  describe('a failing check', () => {
    let fake: Server;
    let base: string;
    beforeAll(async () => {
      // A service that says it is ready and answers everything else with {}: the smoke checks fail.
      fake = createServer((req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Request-Id': String(req.headers['x-request-id']) });
        res.end(req.url?.startsWith('/api/v1/health') ? '{"status":"ok"}' : '{}');
      });
      await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => fake.close(() => resolve())));

    it('is listed with its request id and the npm run trace to follow it, and fails the run (99)', async () => {
      const outcome = await loadtest(['smoke'], { ...env(), ENDPOINT: base });
      expect(outcome.code).toBe(99);
      expect(outcome.stderr).toMatch(/\d+ failed check lines \(all in .*smoke\.console\.log\):/);
      expect(outcome.stderr).toMatch(
        /check failed \[POST \/todos is 201, .*\]: POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/todos answered 200 \(request_id=smoke-vu1-it0-r\d+\)/,
      );
      expect(outcome.stderr).toMatch(/follow one through the service: npm run trace -- smoke-vu1-it0-r\d+ /);
    }, 60_000);
  });

  describe("the practical's original script", () => {
    let service: ServiceProcess;
    let base: string;
    let scripts: string;
    beforeAll(async () => {
      service = spawnService({ DATABASE_URL: workerDatabaseUrl(), LOG_LEVEL: 'info' });
      base = await service.listening;
      scripts = mkdtempSync(path.join(tmpdir(), 'practical-'));
    }, 60_000);
    afterAll(async () => {
      service.child.kill('SIGTERM');
      await service.exited;
      rmSync(scripts, { recursive: true, force: true });
    });

    /** The original with its minutes of sleeps and stages made seconds (each change must apply). */
    function shortened(extraOptions = ''): string {
      let source = readFileSync(PRACTICAL, 'utf8');
      const replacements: [string, string][] = [
        ['sleep(120)', 'sleep(0.5)'],
        ['sleep(10)', 'sleep(0.2)'],
        ["{ duration: '2m', target: 1000 }", "{ duration: '1s', target: 5 }"],
        ["{ duration: '2m', target: 2500 }", "{ duration: '1s', target: 10 }"],
        ["{ duration: '2m', target: 0 }", "{ duration: '1s', target: 0 }"],
        ['vus: 20,', 'vus: 2,'],
        ['iterations: 400,', 'iterations: 6,'],
        ['export const options = {', `export const options = {${extraOptions}`],
      ];
      for (const [from, to] of replacements) {
        expect(source).toContain(from);
        source = source.split(from).join(to);
      }
      const file = path.join(scripts, `practical-${extraOptions === '' ? 'plain' : 'threshold'}.js`);
      writeFileSync(file, source);
      return file;
    }

    it('fails its checks under the runner as under k6: 201 where it expected 200, and DELETE /todos/undefined answered 400', async () => {
      const outcome = await runRunner([shortened()], { ENDPOINT: base });
      // No thresholds: k6 exits 0 however many checks fail.
      expect(outcome.code).toBe(0);
      const check = outcome.summary?.root_group.checks['is status 200'];
      // Every planner iteration fails twice (its create and its delete); every studier passes.
      expect(check?.fails).toBe(12);
      expect(check?.passes).toBeGreaterThan(5);
      expect(outcome.stdout).toMatch(/✗ is status 200\n\s+↳ {2}\d+% — ✓ \d+ \/ ✗ 12/);
      const deletes = service
        .logLines()
        .filter((line) => line.message === 'Request finished' && line.url === '/api/v1/todos/undefined');
      expect(deletes).toHaveLength(6);
      expect(deletes.every((line) => line.method === 'DELETE' && line.status_code === 400)).toBe(true);
      const creates = service
        .logLines()
        .filter(
          (line) => line.message === 'Request finished' && line.method === 'POST' && line.url === '/api/v1/todos',
        );
      expect(creates.length).toBeGreaterThanOrEqual(6);
      expect(creates.every((line) => line.status_code === 201)).toBe(true);
    }, 60_000);

    it("exits 99 once a checks: ['rate==1'] threshold is added", async () => {
      const outcome = await runRunner([shortened("\n  thresholds: { checks: ['rate==1'] },")], { ENDPOINT: base });
      expect(outcome.code).toBe(99);
      expect(outcome.stderr).toMatch(/thresholds on metrics 'checks' have been crossed/);
    }, 60_000);
  });
});
