import { type CliOverrides, DEFAULT_TREND_STATS, DEFAULT_USER_AGENT, OptionsError, buildRunPlan } from './run-plan';

function plan(options: unknown, cli: CliOverrides = {}) {
  const warnings: string[] = [];
  const built = buildRunPlan(options, cli, (message) => warnings.push(message));
  return { ...built, warnings };
}

function failure(options: unknown, cli: CliOverrides = {}): string {
  try {
    buildRunPlan(options, cli, () => undefined);
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsError);
    return (error as Error).message;
  }
  throw new Error('buildRunPlan did not throw');
}

describe('buildRunPlan', () => {
  describe('execution shortcuts', () => {
    it('runs one iteration of one VU, named default, without options', () => {
      for (const options of [undefined, null, {}]) {
        const { scenarios, warnings } = plan(options);
        expect(scenarios).toHaveLength(1);
        expect(scenarios[0]).toMatchObject({ name: 'default', executor: 'per-vu-iterations', vus: 1, iterations: 1 });
        expect(warnings).toEqual([]);
      }
    });

    it('turns vus and duration into constant-vus', () => {
      const { scenarios } = plan({ vus: 10, duration: '30s' });
      expect(scenarios).toEqual([
        expect.objectContaining({ name: 'default', executor: 'constant-vus', vus: 10, durationMs: 30_000 }),
      ]);
    });

    it('turns duration alone into constant-vus with 1 VU', () => {
      expect(plan({ duration: '1m' }).scenarios[0]).toMatchObject({
        executor: 'constant-vus',
        vus: 1,
        durationMs: 60_000,
      });
    });

    it('turns iterations into shared-iterations, with vus', () => {
      expect(plan({ iterations: 20 }).scenarios[0]).toMatchObject({
        name: 'default',
        executor: 'shared-iterations',
        vus: 1,
        iterations: 20,
        maxDurationMs: 600_000,
      });
      expect(plan({ vus: 5, iterations: 20 }).scenarios[0]).toMatchObject({
        executor: 'shared-iterations',
        vus: 5,
        iterations: 20,
      });
    });

    it('uses duration as the maxDuration of iterations', () => {
      expect(plan({ vus: 2, iterations: 10, duration: '2m' }).scenarios[0]).toMatchObject({
        executor: 'shared-iterations',
        vus: 2,
        iterations: 10,
        maxDurationMs: 120_000,
      });
    });

    it('turns stages into ramping-vus starting at vus', () => {
      const stages = [
        { duration: '30s', target: 20 },
        { duration: '10s', target: 0 },
      ];
      expect(plan({ stages }).scenarios[0]).toMatchObject({
        name: 'default',
        executor: 'ramping-vus',
        startVUs: 1,
        stages: [
          { durationMs: 30_000, target: 20 },
          { durationMs: 10_000, target: 0 },
        ],
      });
      expect(plan({ vus: 4, stages }).scenarios[0]).toMatchObject({ executor: 'ramping-vus', startVUs: 4 });
    });

    it('refuses duration and stages together', () => {
      expect(failure({ duration: '30s', stages: [{ duration: '10s', target: 5 }] })).toMatch(
        /multiple execution config shortcuts \(duration, stages\)/,
      );
    });

    it('refuses iterations and stages together', () => {
      expect(failure({ iterations: 5, stages: [{ duration: '10s', target: 5 }] })).toMatch(
        /multiple execution config shortcuts/,
      );
    });

    it('refuses a duration of 0, which means an externally controlled test', () => {
      expect(failure({ duration: '0s' })).toMatch(/externally controlled/);
      expect(failure({ duration: 0 })).toMatch(/externally controlled/);
    });

    it('refuses a shortcut and scenarios in the same tier, naming the shortcut', () => {
      const scenarios = { a: { executor: 'shared-iterations' } };
      expect(failure({ duration: '30s', scenarios })).toBe(
        'using an execution configuration shortcut (duration) and "scenarios" simultaneously is not allowed',
      );
      expect(failure({ iterations: 3, scenarios })).toContain('(iterations)');
      expect(failure({ stages: [{ duration: '1s', target: 1 }], scenarios })).toContain('(stages)');
    });

    it('only warns about vus beside scenarios', () => {
      const { scenarios, warnings } = plan({
        vus: 10,
        scenarios: { a: { executor: 'constant-vus', vus: 2, duration: '10s' } },
      });
      expect(scenarios).toEqual([expect.objectContaining({ name: 'a', vus: 2 })]);
      expect(warnings).toEqual(['vus is not used: every scenario sets its own VUs']);
    });

    it('runs the script’s scenarios as written', () => {
      const { scenarios, warnings } = plan({
        scenarios: {
          browse: { executor: 'constant-vus', vus: 3, duration: '10s' },
          write: { executor: 'per-vu-iterations', vus: 1, iterations: 2, startTime: '10s' },
        },
      });
      expect(scenarios.map((s) => s.name)).toEqual(['browse', 'write']);
      expect(warnings).toEqual([]);
    });
  });

  describe('command-line overrides', () => {
    it('replace the script’s duration, iterations and stages', () => {
      expect(plan({ vus: 5, duration: '30s' }, { iterations: 7 }).scenarios[0]).toMatchObject({
        executor: 'shared-iterations',
        vus: 5,
        iterations: 7,
        maxDurationMs: 600_000,
      });
      expect(plan({ iterations: 100 }, { duration: '10s' }).scenarios[0]).toMatchObject({
        executor: 'constant-vus',
        durationMs: 10_000,
      });
      expect(plan({ duration: '30s' }, { stages: [{ duration: '5s', target: 3 }] }).scenarios[0]).toMatchObject({
        executor: 'ramping-vus',
        stages: [{ durationMs: 5000, target: 3 }],
      });
    });

    it('replace the script’s scenarios', () => {
      const { scenarios, warnings } = plan(
        {
          scenarios: { a: { executor: 'constant-vus', vus: 10, duration: '1m' }, b: { executor: 'shared-iterations' } },
        },
        { iterations: 3 },
      );
      expect(scenarios).toHaveLength(1);
      expect(scenarios[0]).toMatchObject({ name: 'default', executor: 'shared-iterations', vus: 1, iterations: 3 });
      expect(warnings).toEqual([]);
    });

    it('set vus over the script’s', () => {
      expect(plan({ vus: 5, duration: '30s' }, { vus: 50 }).scenarios[0]).toMatchObject({
        executor: 'constant-vus',
        vus: 50,
      });
    });

    it('may combine iterations and duration themselves', () => {
      expect(
        plan({ stages: [{ duration: '1s', target: 1 }] }, { iterations: 4, duration: '20s', vus: 2 }).scenarios[0],
      ).toMatchObject({
        executor: 'shared-iterations',
        vus: 2,
        iterations: 4,
        maxDurationMs: 20_000,
      });
    });

    it('override the summary, threshold, setup and HTTP switches', () => {
      const built = plan(
        {
          noThresholds: false,
          summaryTrendStats: ['avg'],
          userAgent: 'script',
          maxRedirects: 3,
          throw: false,
          tags: { a: '1', b: '2' },
        },
        {
          noThresholds: true,
          noSummary: true,
          noSetup: true,
          noTeardown: true,
          summaryTrendStats: ['p(99)', 'max'],
          summaryTimeUnit: 'ms',
          userAgent: 'cli',
          maxRedirects: 0,
          insecureSkipTLSVerify: true,
          throw: true,
          tags: { b: 'cli' },
        },
      );
      expect(built).toMatchObject({
        noThresholds: true,
        noSummary: true,
        noSetup: true,
        noTeardown: true,
        summaryTrendStats: ['p(99)', 'max'],
        summaryTimeUnit: 'ms',
        tags: { a: '1', b: 'cli' },
      });
      expect(built.http).toMatchObject({ userAgent: 'cli', maxRedirects: 0, insecureSkipTLSVerify: true, throw: true });
    });
  });

  describe('other options', () => {
    it('has k6’s defaults', () => {
      const built = plan({});
      expect(built).toMatchObject({
        thresholds: [],
        noThresholds: false,
        noSummary: false,
        noSetup: false,
        noTeardown: false,
        summaryTrendStats: DEFAULT_TREND_STATS,
        summaryTimeUnit: undefined,
        tags: {},
        setupTimeoutMs: 60_000,
        teardownTimeoutMs: 60_000,
        handleSummaryTimeoutMs: 120_000,
        minIterationDurationMs: 0,
      });
      expect(DEFAULT_TREND_STATS).toEqual(['avg', 'min', 'med', 'max', 'p(90)', 'p(95)']);
      expect(built.http).toEqual({
        userAgent: DEFAULT_USER_AGENT,
        maxRedirects: 10,
        batch: 20,
        batchPerHost: 6,
        discardResponseBodies: false,
        insecureSkipTLSVerify: false,
        noConnectionReuse: false,
        noVUConnectionReuse: false,
        noCookiesReset: false,
        hosts: {},
        throw: false,
      });
    });

    it('reads the script’s timeouts, tags and HTTP settings', () => {
      const built = plan({
        setupTimeout: '2m',
        teardownTimeout: '10s',
        handleSummaryTimeout: '30s',
        minIterationDuration: '1s',
        tags: { env: 'staging', build: 42 },
        batch: 5,
        discardResponseBodies: true,
        hosts: { 'api.test': '127.0.0.1' },
      });
      expect(built).toMatchObject({
        setupTimeoutMs: 120_000,
        teardownTimeoutMs: 10_000,
        handleSummaryTimeoutMs: 30_000,
        minIterationDurationMs: 1000,
        tags: { env: 'staging', build: '42' },
      });
      expect(built.http).toMatchObject({ batch: 5, discardResponseBodies: true, hosts: { 'api.test': '127.0.0.1' } });
    });

    it('parses the thresholds', () => {
      const { thresholds } = plan({ thresholds: { http_req_duration: ['p(95)<200'] } });
      expect(thresholds).toHaveLength(1);
      expect(thresholds[0].thresholds[0]).toMatchObject({ aggregation: 'p(95)', operator: '<', value: 200 });
    });

    it('turns a threshold error into an OptionsError', () => {
      expect(failure({ thresholds: { http_req_duration: ['p(95)<<200'] } })).toContain(
        '"p(95)<<200" is not a threshold expression',
      );
    });

    it.each(['systemTags', 'rps', 'dns', 'tlsAuth', 'blockHostnames', 'executionSegment', 'browser'])(
      'refuses the unsupported k6 option %s, naming it',
      (option) => {
        expect(failure({ [option]: 1 })).toBe(
          `the option "${option}" is not supported by this runner; run this script with k6`,
        );
      },
    );

    it('only warns about keys that are not k6 options', () => {
      const { warnings, scenarios } = plan({ vus: 2, duration: '10s', vu: 3, durration: '1m' });
      expect(warnings).toEqual([
        '"vu" is not a k6 option: it has no effect',
        '"durration" is not a k6 option: it has no effect',
      ]);
      expect(scenarios[0]).toMatchObject({ vus: 2, durationMs: 10_000 });
    });

    it('ignores, without a word, k6 options that do nothing in a local run', () => {
      expect(
        plan({ cloud: { projectID: 1 }, ext: {}, noUsageReport: true, noColor: true, vusMax: 10 }).warnings,
      ).toEqual([]);
    });

    it('validates summaryTrendStats', () => {
      expect(
        plan({ summaryTrendStats: ['avg', 'min', 'med', 'max', 'count', 'p(99.9)', 'p(0)'] }).summaryTrendStats,
      ).toEqual(['avg', 'min', 'med', 'max', 'count', 'p(99.9)', 'p(0)']);
      expect(failure({ summaryTrendStats: ['avg', 'mean'] })).toContain('summaryTrendStats: "mean" is not avg');
      expect(failure({ summaryTrendStats: ['p(101)'] })).toContain('"p(101)"');
      expect(failure({ summaryTrendStats: [] })).toContain('summaryTrendStats must be a non-empty list');
      expect(failure({ summaryTrendStats: 'avg' })).toContain('summaryTrendStats must be a non-empty list');
      expect(failure({}, { summaryTrendStats: ['avg', 'p95'] })).toContain('"p95"');
    });

    it('validates summaryTimeUnit', () => {
      for (const unit of ['s', 'ms', 'us']) expect(plan({ summaryTimeUnit: unit }).summaryTimeUnit).toBe(unit);
      expect(failure({ summaryTimeUnit: 'm' })).toBe('summaryTimeUnit must be s, ms or us; got "m"');
    });

    it('refuses a hosts entry that maps to a port', () => {
      expect(failure({ hosts: { 'test.k6.io': '1.2.3.4:8443' } })).toContain(
        '"test.k6.io": "1.2.3.4:8443" maps to a port',
      );
      expect(plan({ hosts: { 'local.test': '::1' } }).http.hosts).toEqual({ 'local.test': '::1' });
    });

    it('refuses badly typed values, naming the option', () => {
      expect(failure({ noConnectionReuse: 'yes' })).toBe('noConnectionReuse must be true or false; got "yes"');
      expect(failure({ maxRedirects: -1 })).toContain('maxRedirects must be a whole number of at least 0');
      expect(failure({ batch: 0 })).toContain('batch must be a whole number of at least 1');
      expect(failure({ setupTimeout: 'long' })).toContain('setupTimeout must be a duration');
      expect(failure({ userAgent: 7 })).toBe('userAgent must be a string; got 7');
      expect(failure({ tags: { a: { b: 1 } } })).toContain('tags.a must be a string');
      expect(failure('options')).toBe('options must be an object');
    });

    it('passes scenario errors on', () => {
      expect(() => buildRunPlan({ vus: 10, iterations: 5 }, {}, () => undefined)).toThrow(
        "the number of iterations (5) can't be less than the number of VUs (10)",
      );
    });
  });

  describe('consolidated options', () => {
    it('show the scenarios in place of the shortcuts', () => {
      const { consolidated } = plan({ vus: 3, duration: '30s', thresholds: { checks: ['rate>0.9'] } });
      expect(consolidated.scenarios).toEqual({ default: { executor: 'constant-vus', vus: 3, duration: '30s' } });
      expect(consolidated).not.toHaveProperty('vus');
      expect(consolidated).not.toHaveProperty('duration');
      expect(consolidated.thresholds).toEqual({ checks: ['rate>0.9'] });
      expect(consolidated.summaryTrendStats).toEqual(DEFAULT_TREND_STATS);
      expect(consolidated.userAgent).toBe(DEFAULT_USER_AGENT);
      expect(consolidated.maxRedirects).toBe(10);
    });
  });
});
