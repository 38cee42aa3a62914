import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestServer, loggedJson, runRunner, startRunner, startTestServer } from './support/runner';

/**
 * The built runner as a user runs it (`npm run k6 -- run ...`), over real
 * HTTP against a local server: what a script sees, what k6/http answers, the
 * executors, thresholds, the summary and k6's exit codes.
 */
describe('the k6-compatible runner', () => {
  let server: TestServer;
  let scratch: string;
  beforeAll(async () => {
    server = await startTestServer();
    scratch = mkdtempSync(path.join(tmpdir(), 'k6-scripts-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A throwaway script for one test. */
  function script(name: string, source: string): string {
    const file = path.join(scratch, name);
    writeFileSync(file, source);
    return file;
  }

  describe('the script environment', () => {
    let facts: Record<string, unknown>[];
    let outcome: Awaited<ReturnType<typeof runRunner>>;
    beforeAll(async () => {
      outcome = await runRunner(['-e', 'GREETING=hi', 'environment.ts'], { GREETING: 'from the shell' });
      facts = loggedJson(outcome);
    }, 30_000);
    const iterations = () => facts.filter((f) => f.kind === 'iteration');

    it('runs a TypeScript script with its imports and exits 0', () => {
      expect(outcome.code).toBe(0);
      expect(iterations()).toHaveLength(4);
    });

    it('gives no Node.js globals, only what k6 has', () => {
      for (const fact of iterations()) expect(fact.nodeGlobals).toEqual([]);
    });

    it('refuses VU information in the init context, as k6 does', () => {
      expect(iterations()[0].initError).toMatch(/init context is not supported/);
    });

    it('runs the init code per VU: __VU there is the VU that runs the iterations', () => {
      for (const fact of iterations()) {
        expect(fact.initVu).toBe(fact.vu);
        expect(fact.idInTest).toBe(fact.vu);
      }
      expect(new Set(iterations().map((f) => f.vu))).toEqual(new Set([1, 2]));
    });

    it('counts __ITER and exec.vu iterations per VU from 0, with module state kept between iterations', () => {
      for (const vu of [1, 2]) {
        const mine = iterations().filter((f) => f.vu === vu);
        expect(mine.map((f) => f.iter)).toEqual([0, 1]);
        expect(mine.map((f) => f.iterationInScenario)).toEqual([0, 1]);
        expect(mine.map((f) => f.iterationInInstance)).toEqual([0, 1]);
        expect(mine.map((f) => f.iterationsHere)).toEqual([1, 2]);
      }
    });

    it('names the scenario and executor in k6/execution, and lists the scenarios in test.options', () => {
      for (const fact of iterations()) {
        expect(fact.scenario).toBe('main');
        expect(fact.executor).toBe('per-vu-iterations');
        expect(fact.optionsScenarios).toEqual(['main']);
      }
    });

    it('fills __ENV from the shell, -e over it, and a scenario env only inside that scenario', () => {
      for (const fact of iterations()) {
        expect(fact.env).toBe('hi');
        expect(fact.scenarioOnly).toBe('yes');
      }
      const setup = facts.find((f) => f.kind === 'setup');
      expect(setup).toMatchObject({ vu: 0, env: 'hi', scenarioOnly: null });
    });

    it('opens files relative to the calling module, as text or bytes, and only in init code', () => {
      for (const fact of iterations()) {
        expect(fact.greeting).toBe('hello from a file');
        expect(fact.noteIsArrayBuffer).toBe(true);
        expect(fact.noteBytes).toBe('hello from a file\n'.length);
        expect(fact.openError).toMatch(/only be called from the init context/);
      }
    });

    it('hands setup() data to each VU as a JSON copy, which teardown() gets unchanged', () => {
      for (const fact of iterations()) {
        expect(fact.dataWhen).toBe('1970-01-01T00:00:00.000Z');
        expect(fact.dataHasFunction).toBe(false);
        expect(fact.dataIsArray).toBe(true);
      }
      const teardown = facts.find((f) => f.kind === 'teardown');
      expect(teardown).toMatchObject({ vu: 0, list: [1, 2] });
    });
  });

  describe('k6/http', () => {
    let results: Map<string, Record<string, unknown>>;
    let outcome: Awaited<ReturnType<typeof runRunner>>;
    beforeAll(async () => {
      outcome = await runRunner(['-e', `BASE=${server.base}`, 'http.js']);
      results = new Map(
        loggedJson<{ name: string; value: Record<string, unknown> }>(outcome).map((r) => [r.name, r.value]),
      );
    }, 30_000);

    it('sends the method, headers and body, and answers with status, canonical headers, JSON and timings', () => {
      expect(outcome.code).toBe(0);
      const echo = results.get('echo');
      expect(echo).toMatchObject({
        status: 200,
        statusText: '200 OK',
        proto: 'HTTP/1.1',
        contentType: 'application/json',
        method: 'POST',
        customHeader: 'yes',
        requestMethod: 'POST',
        requestHeader: ['yes'],
        timingsSum: true,
        url: `${server.base}/echo?x=1`,
      });
      expect((echo?.received as { body: string }).body).toBe('{"a":1}');
    });

    it('sends an object body as a form, as k6 does', () => {
      expect(results.get('form')).toEqual({ body: 'name=a%20b&n=2', contentType: 'application/x-www-form-urlencoded' });
    });

    it('follows redirects up to maxRedirects, and not with redirects: 0', () => {
      expect(results.get('redirected')).toEqual({ status: 200, url: `${server.base}/redirect/0` });
      expect(results.get('notFollowed')).toEqual({ status: 302, location: '/redirect/1' });
    });

    it('answers a request that gets no answer with status 0 and k6 error codes, without throwing', () => {
      expect(results.get('timeout')).toEqual({ status: 0, errorCode: 1050, error: 'request timeout', body: null });
      expect(results.get('refused')).toEqual({ status: 0, errorCode: 1212 });
      expect(outcome.stderr).toMatch(
        /WARN\[\d+\] Request Failed {2}error="Get \\"http:\/\/127\.0\.0\.1:1\/\\": dial tcp 127\.0\.0\.1:1: connect: connection refused"/,
      );
    });

    it('sets error_code 1000 + status for a 4xx answer and leaves error empty', () => {
      expect(results.get('missing')).toEqual({ status: 404, errorCode: 1404, error: '' });
    });

    it('returns bytes as an ArrayBuffer with responseType binary, and no body with none', () => {
      expect(results.get('binary')).toEqual({ isArrayBuffer: true, bytes: [0, 1, 2, 255] });
      expect(results.get('none')).toEqual({ body: null, status: 200 });
    });

    it('selects in JSON bodies with GJSON paths, null when absent', () => {
      expect(results.get('selectors')).toEqual({
        count: 2,
        firstName: 'first',
        names: ['first', 'second'],
        wildcard: 2,
        missing: null,
      });
    });

    it('keeps cookies in the VU jar and lets request cookies replace them only when asked', () => {
      expect(results.get('cookies')).toEqual({
        sent: 'flavour=chocolate; size=large',
        jar: { flavour: ['chocolate'], size: ['large'] },
      });
      expect(String(results.get('scopedCookies')?.sent).split('; ').sort()).toEqual([
        'flavour=mint',
        'other=1',
        'size=large',
      ]);
    });

    it('runs a batch in parallel and keeps its shape', () => {
      const batch = results.get('batch') as { statuses: number[]; longest: number };
      expect(batch.statuses).toEqual([200, 200, 200]);
      expect(batch.longest).toBeLessThan(800);
      expect(results.get('namedBatch')).toEqual({ one: 200, two: 'x' });
      expect(results.get('templated')).toEqual({ status: 200 });
    });

    it('refuses an unknown request param by name', () => {
      expect(results.get('badParam')?.thrown).toMatch(/unknown request param "headerz"/);
    });

    it('counts http_req_failed by the expected statuses (default 200-399, per request, or per VU)', () => {
      const failed = outcome.summary?.metrics.http_req_failed;
      // Failed: the timeout, the refused connection and the unexpected 404; the
      // 404 declared expected and the 418 under setResponseCallback are not.
      expect(failed?.passes).toBe(3);
      expect(outcome.summary?.metrics.http_reqs.count).toBeGreaterThanOrEqual(20);
    });
  });

  describe('exit codes and the test lifecycle', () => {
    const run = (testCase: string, extra: string[] = []) =>
      runRunner(['-e', `CASE=${testCase}`, '-e', `BASE=${server.base}`, ...extra, 'lifecycle.js']);

    it('exits 0 when every threshold holds, with setup and teardown run once', async () => {
      const outcome = await run('pass');
      expect(outcome.code).toBe(0);
      // Progress without a terminal: plain lines, the run's and each scenario's.
      expect(outcome.stderr).toMatch(
        /running \(0m0\d\.\ds\), \d+\/2 VUs, \d+ complete and 0 interrupted iterations, [\d.]+ req\/s, 0 failed checks/,
      );
      expect(outcome.stderr).toMatch(/main ✓ \[=+\] 100% 0 VUs {2}0m0\d\.\ds\/1s, [\d.]+ req\/s, 0 failed checks/);
      expect(outcome.console.filter((l) => l.includes('setup ran'))).toHaveLength(1);
      expect(outcome.console.filter((l) => l.includes('teardown ran'))).toHaveLength(1);
      expect(outcome.summary?.metrics.marks.thresholds).toEqual({ 'count>0': false });
    }, 30_000);

    it('exits 99 when a threshold is crossed, names it, and 0 with --no-thresholds', async () => {
      const crossed = await run('failing-check');
      expect(crossed.code).toBe(99);
      expect(crossed.stderr).toMatch(/thresholds on metrics 'checks' have been crossed/);
      expect(crossed.summary?.metrics.checks.thresholds).toEqual({ 'rate==1': true });
      expect(crossed.stdout).toMatch(/✗ 'rate==1' rate=/);
      const ignored = await run('failing-check', ['--no-thresholds']);
      expect(ignored.code).toBe(0);
    }, 30_000);

    it('stops early on an abortOnFail threshold (exit 99), well before the 20 s duration', async () => {
      const started = Date.now();
      const outcome = await run('abort-on-fail');
      expect(outcome.code).toBe(99);
      expect(Date.now() - started).toBeLessThan(12_000);
      expect(outcome.stderr).toMatch(/abortOnFail enabled, stopping test prematurely/);
      expect(outcome.console.filter((l) => l.includes('teardown ran'))).toHaveLength(1);
    }, 30_000);

    it('exits 108 on exec.test.abort(), still running teardown', async () => {
      const outcome = await run('abort');
      expect(outcome.code).toBe(108);
      expect(outcome.stderr).toMatch(/test aborted: enough of this/);
      expect(outcome.console.filter((l) => l.includes('teardown ran'))).toHaveLength(1);
    }, 30_000);

    it('exits 110 after exec.test.fail(), having run the whole test', async () => {
      const outcome = await run('fail');
      expect(outcome.code).toBe(110);
      expect(outcome.summary?.metrics.iterations.count).toBeGreaterThan(2);
    }, 30_000);

    it('exits 107 when the init code throws, with the stack in the script file', async () => {
      const outcome = await run('init-error');
      expect(outcome.code).toBe(107);
      expect(outcome.stderr).toMatch(/Error: the init code failed\n\tat file:\/\/.*\/lifecycle\.js:\d+:\d+/);
    }, 30_000);

    it('exits 107 when setup() throws, without running the scenarios', async () => {
      const outcome = await run('setup-error');
      expect(outcome.code).toBe(107);
      expect(outcome.stderr).toMatch(/setup failed on purpose/);
      expect(outcome.summary?.metrics.iterations).toBeUndefined();
    }, 30_000);

    it('logs an exception in an iteration with its stack and goes on with the test', async () => {
      const outcome = await run('iteration-error');
      expect(outcome.stderr).toMatch(
        /ERRO\[\d+\] Error: iteration 0 failed\n\tat default \(file:\/\/.*lifecycle\.js:\d+:\d+\) {2}executor=constant-vus scenario=main/,
      );
      expect(outcome.summary?.metrics.iterations.count).toBeGreaterThan(4);
      expect(outcome.code).toBe(0);
    }, 30_000);

    it('stops on SIGINT with teardown and the summary, exits 105, and leaves nothing running', async () => {
      const { child, done } = startRunner(['-e', 'CASE=signal', '-e', `BASE=${server.base}`, 'lifecycle.js']);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      child.kill('SIGINT');
      const outcome = await done;
      expect(outcome.code).toBe(105);
      expect(outcome.console.filter((l) => l.includes('teardown ran'))).toHaveLength(1);
      expect(outcome.summary?.metrics.iterations.count).toBeGreaterThan(0);
      expect(() => process.kill(child.pid as number, 0)).toThrow();
    }, 30_000);
  });

  describe('options, modules and the command line', () => {
    it('exits 104 for an option this runner does not have, naming it', async () => {
      const file = script(
        'system-tags.js',
        "export const options = { systemTags: ['status'] };\nexport default function () {}\n",
      );
      const outcome = await runRunner([file]);
      expect(outcome.code).toBe(104);
      expect(outcome.stderr).toMatch(/the option "systemTags" is not supported by this runner/);
    });

    it('exits 104 for invalid scenarios and thresholds', async () => {
      const badExecutor = script(
        'executor.js',
        "export const options = { scenarios: { a: { executor: 'fast' } } };\nexport default function () {}\n",
      );
      expect((await runRunner([badExecutor])).stderr).toMatch(/executor must be one of/);
      const badThreshold = script(
        'threshold.js',
        "export const options = { thresholds: { http_reqs: ['avg<3'] } };\nexport default function () {}\n",
      );
      const outcome = await runRunner([badThreshold]);
      expect(outcome.code).toBe(104);
      expect(outcome.stderr).toMatch(/"avg" does not apply to a counter metric/);
      const missingExec = script(
        'exec.js',
        "export const options = { scenarios: { a: { executor: 'per-vu-iterations', exec: 'nope' } } };\nexport default function () {}\n",
      );
      expect((await runRunner([missingExec])).code).toBe(104);
    });

    it('refuses at start, exit 104, a test needing more VUs than the machine holds, with the numbers and a pointer to k6', async () => {
      const file = script(
        'huge.js',
        "export const options = { vus: 1000000, duration: '1m' };\nexport default function () {}\n",
      );
      const started = Date.now();
      const outcome = await runRunner([file]);
      expect(outcome.code).toBe(104);
      expect(outcome.stderr).toMatch(/this test needs 1000000 VUs at once, and this machine can hold about \d+/);
      expect(outcome.stderr).toMatch(/https:\/\/grafana\.com\/docs\/k6\/latest\/set-up\/install-k6\//);
      // Refused before any VU is started.
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('exits 104 for an unknown flag or a bad flag value', async () => {
      expect((await runRunner(['--vuz', '2', 'x.js'])).code).toBe(104);
      expect((await runRunner(['--vus', 'two', 'x.js'])).stderr).toMatch(/--vus must be a whole number/);
    });

    it('refuses a k6 module it does not have, an npm package and a Node module, by name (exit 107)', async () => {
      const ws = await runRunner([
        script('ws.js', "import ws from 'k6/ws';\nexport default function () { ws.connect(); }\n"),
      ]);
      expect(ws.code).toBe(107);
      expect(ws.stderr).toMatch(/the module "k6\/ws" is not supported by this runner/);
      const npm = await runRunner([script('npm.js', "import _ from 'lodash';\nexport default function () {}\n")]);
      expect(npm.stderr).toMatch(/k6 cannot import "lodash"/);
      const node = await runRunner([script('node.js', "import fs from 'fs';\nexport default function () {}\n")]);
      expect(node.stderr).toMatch(/cannot import Node.js modules \("fs"\)/);
      const unknownName = await runRunner([
        script('name.js', "import { nope } from 'k6/http';\nexport default function () {}\n"),
      ]);
      expect(unknownName.code).toBe(107);
      expect(unknownName.stderr).toMatch(/nope/);
    });

    it('resolves relative imports literally, as k6 does', async () => {
      script('helper.js', 'export const x = 1;\n');
      const outcome = await runRunner([
        script('no-extension.js', "import { x } from './helper';\nexport default function () { return x; }\n"),
      ]);
      expect(outcome.code).toBe(107);
      expect(outcome.stderr).toMatch(/k6 resolves imports literally/);
    });

    it("lets --vus and --iterations replace the script's scenarios, and -s stages", async () => {
      const file = script(
        'shortcuts.js',
        "import { sleep } from 'k6';\nexport const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 1, iterations: 1 } } };\nexport default function () { sleep(0.05); }\n",
      );
      const iterations = await runRunner(['--vus', '3', '--iterations', '9', file]);
      expect(iterations.code).toBe(0);
      expect(iterations.summary?.metrics.iterations.count).toBe(9);
      expect(iterations.summary?.metrics.vus_max.value).toBe(3);
      const stages = await runRunner(['-s', '500ms:2', '-s', '500ms:0', file]);
      expect(stages.code).toBe(0);
      expect(stages.summary?.metrics.vus.max).toBe(2);
    }, 30_000);

    it("writes --summary-export in k6's flat format and passes handleSummary k6's data shape", async () => {
      const file = script(
        'summary.js',
        [
          "import http from 'k6/http';",
          "import { check, group } from 'k6';",
          "export const options = { iterations: 2, thresholds: { 'http_req_duration{name:json}': ['p(95)<5000'] } };",
          'export default function () {',
          `  group('outer', () => group('inner', () => check(http.get('${server.base}/json', { tags: { name: 'json' } }), { 'is 200': (r) => r.status === 200 })));`,
          '}',
          'export function handleSummary(data) {',
          '  return { stdout: JSON.stringify(data) };',
          '}',
        ].join('\n'),
      );
      const outcome = await runRunner([file]);
      expect(outcome.code).toBe(0);
      const data = JSON.parse(outcome.stdout) as {
        metrics: Record<
          string,
          {
            type: string;
            contains: string;
            values: Record<string, number>;
            thresholds?: Record<string, { ok: boolean }>;
          }
        >;
        root_group: {
          groups: {
            name: string;
            path: string;
            groups: {
              name: string;
              path: string;
              checks: { name: string; path: string; id: string; passes: number; fails: number }[];
            }[];
          }[];
        };
        state: { testRunDurationMs: number };
        options: { summaryTrendStats: string[] };
      };
      expect(data.metrics.http_req_duration).toMatchObject({ type: 'trend', contains: 'time' });
      expect(Object.keys(data.metrics.http_req_duration.values)).toEqual([
        'avg',
        'min',
        'med',
        'max',
        'p(90)',
        'p(95)',
      ]);
      expect(data.metrics['http_req_duration{name:json}'].thresholds).toEqual({ 'p(95)<5000': { ok: true } });
      expect(data.metrics.checks).toMatchObject({ type: 'rate', values: { rate: 1, passes: 2, fails: 0 } });
      expect(data.metrics.http_reqs).toMatchObject({ type: 'counter', values: { count: 2 } });
      expect(data.metrics.data_received.contains).toBe('data');
      const inner = data.root_group.groups[0].groups[0];
      expect(inner.path).toBe('::outer::inner');
      expect(inner.checks[0]).toMatchObject({ name: 'is 200', path: '::outer::inner::is 200', passes: 2, fails: 0 });
      expect(inner.checks[0].id).toMatch(/^[0-9a-f]{32}$/);
      expect(data.state.testRunDurationMs).toBeGreaterThan(0);

      const exported = outcome.summary;
      expect(exported?.metrics.checks).toEqual({ passes: 2, fails: 0, value: 1 });
      expect(exported?.metrics['http_req_duration{name:json}'].thresholds).toEqual({ 'p(95)<5000': false });
      expect(Object.keys(exported?.root_group.groups ?? {})).toEqual(['outer']);
    }, 30_000);
  });

  describe('executors', () => {
    const run = (executor: string, sleep = '0.1') =>
      runRunner(['-e', `EXECUTOR=${executor}`, '-e', `ITERATION_SLEEP=${sleep}`, 'executors.js']);

    it('shared-iterations runs exactly its iterations over its VUs', async () => {
      const { code, summary } = await run('shared-iterations');
      expect(code).toBe(0);
      expect(summary?.metrics.iterations.count).toBe(10);
      expect(summary?.metrics.vus_max.value).toBe(3);
    }, 30_000);

    it('per-vu-iterations runs its iterations on every VU', async () => {
      const { summary } = await run('per-vu-iterations');
      expect(summary?.metrics.iterations.count).toBe(12);
    }, 30_000);

    it('constant-vus loops its VUs for its duration', async () => {
      const { summary } = await run('constant-vus');
      // 3 VUs, ~100 ms iterations, 1 s: about 30 (start-up and timers allow some slack).
      expect(summary?.metrics.iterations.count).toBeGreaterThanOrEqual(24);
      expect(summary?.metrics.iterations.count).toBeLessThanOrEqual(36);
      expect(summary?.metrics.vus.max).toBe(3);
    }, 30_000);

    it('ramping-vus climbs to its target and back', async () => {
      const { summary } = await run('ramping-vus');
      expect(summary?.metrics.vus.max).toBe(4);
      expect(summary?.metrics.vus_max.value).toBe(4);
      expect(summary?.metrics.iterations.count).toBeGreaterThan(20);
    }, 30_000);

    it('constant-arrival-rate starts rate × duration iterations', async () => {
      // 2 VUs of 50 ms iterations carry 40/s: none is dropped.
      const { summary } = await run('constant-arrival-rate', '0.05');
      expect(summary?.metrics.iterations.count).toBeGreaterThanOrEqual(38);
      expect(summary?.metrics.iterations.count).toBeLessThanOrEqual(40);
      expect(summary?.metrics.dropped_iterations).toBeUndefined();
    }, 30_000);

    it('ramping-arrival-rate starts the integral of its rate (0 → 20/s over 2 s: 20)', async () => {
      const { summary } = await run('ramping-arrival-rate');
      expect(summary?.metrics.iterations.count).toBeGreaterThanOrEqual(19);
      expect(summary?.metrics.iterations.count).toBeLessThanOrEqual(20);
    }, 30_000);

    it('drops the iterations an arrival rate has no free VU for (dropped_iterations)', async () => {
      const { summary } = await run('starved-arrival-rate', '0.12');
      const done = summary?.metrics.iterations.count ?? 0;
      const dropped = summary?.metrics.dropped_iterations.count ?? 0;
      expect(dropped).toBeGreaterThan(5);
      expect(done + dropped).toBeGreaterThanOrEqual(19);
      expect(done + dropped).toBeLessThanOrEqual(20);
    }, 30_000);

    it('drops what shared-iterations has not started at maxDuration', async () => {
      const { summary } = await run('max-duration');
      const done = summary?.metrics.iterations.count ?? 0;
      expect(done).toBeGreaterThan(5);
      expect(done).toBeLessThan(15);
      expect(summary?.metrics.dropped_iterations.count).toBe(100 - done - 1);
    }, 30_000);

    it('blocks only the sleeping VU', async () => {
      const outcome = await runRunner(['sleepers.js']);
      expect(outcome.code).toBe(0);
      // While the sleeper sleeps 1.5 s, the busy VU runs its 1 s of 50 ms iterations.
      expect(outcome.summary?.metrics.iterations_by_vu.count).toBeGreaterThan(12);
    }, 30_000);
  });
});
