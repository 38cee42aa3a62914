import { OptionsError, type Scenario, parseScenarios } from './scenarios';

function one(config: Record<string, unknown>, name = 'test'): Scenario {
  const [scenario] = parseScenarios({ [name]: config });
  return scenario;
}

function error(config: unknown, name = 'test'): string {
  try {
    parseScenarios({ [name]: config });
  } catch (caught) {
    expect(caught).toBeInstanceOf(OptionsError);
    return (caught as Error).message;
  }
  throw new Error('parseScenarios did not throw');
}

describe('parseScenarios', () => {
  describe('defaults', () => {
    it('gives every scenario no start time, a 30s gracefulStop, exec default, no env and no tags', () => {
      expect(one({ executor: 'constant-vus', duration: '10s' })).toMatchObject({
        name: 'test',
        startTimeMs: 0,
        gracefulStopMs: 30_000,
        exec: 'default',
        env: {},
        tags: {},
      });
    });

    it('gives shared-iterations 1 VU, 1 iteration and a 10m maxDuration', () => {
      expect(one({ executor: 'shared-iterations' })).toEqual({
        name: 'test',
        executor: 'shared-iterations',
        startTimeMs: 0,
        gracefulStopMs: 30_000,
        exec: 'default',
        env: {},
        tags: {},
        vus: 1,
        iterations: 1,
        maxDurationMs: 600_000,
      });
    });

    it('gives per-vu-iterations 1 VU, 1 iteration and a 10m maxDuration', () => {
      expect(one({ executor: 'per-vu-iterations' })).toMatchObject({ vus: 1, iterations: 1, maxDurationMs: 600_000 });
    });

    it('gives constant-vus 1 VU', () => {
      expect(one({ executor: 'constant-vus', duration: '30s' })).toMatchObject({ vus: 1, durationMs: 30_000 });
    });

    it('gives ramping-vus 1 start VU and a 30s gracefulRampDown', () => {
      expect(one({ executor: 'ramping-vus', stages: [{ duration: '10s', target: 5 }] })).toMatchObject({
        startVUs: 1,
        gracefulRampDownMs: 30_000,
        stages: [{ durationMs: 10_000, target: 5 }],
      });
    });

    it('gives constant-arrival-rate a 1s timeUnit and maxVUs equal to preAllocatedVUs', () => {
      expect(one({ executor: 'constant-arrival-rate', rate: 30, duration: '1m', preAllocatedVUs: 7 })).toMatchObject({
        rate: 30,
        timeUnitMs: 1000,
        durationMs: 60_000,
        preAllocatedVUs: 7,
        maxVUs: 7,
      });
    });

    it('gives ramping-arrival-rate a 0 start rate, a 1s timeUnit and maxVUs equal to preAllocatedVUs', () => {
      expect(
        one({ executor: 'ramping-arrival-rate', preAllocatedVUs: 3, stages: [{ duration: '1m', target: 10 }] }),
      ).toMatchObject({ startRate: 0, timeUnitMs: 1000, preAllocatedVUs: 3, maxVUs: 3 });
    });

    it('gives a stage without a target a target of 0', () => {
      expect(one({ executor: 'ramping-vus', stages: [{ duration: '5s' }] })).toMatchObject({
        stages: [{ durationMs: 5000, target: 0 }],
      });
    });
  });

  it('reads every common option', () => {
    expect(
      one({
        executor: 'per-vu-iterations',
        vus: 4,
        iterations: 3,
        maxDuration: '2m',
        startTime: '30s',
        gracefulStop: '5s',
        exec: 'studiers',
        env: { BASE: 'http://localhost' },
        tags: { team: 'api' },
      }),
    ).toEqual({
      name: 'test',
      executor: 'per-vu-iterations',
      vus: 4,
      iterations: 3,
      maxDurationMs: 120_000,
      startTimeMs: 30_000,
      gracefulStopMs: 5000,
      exec: 'studiers',
      env: { BASE: 'http://localhost' },
      tags: { team: 'api' },
    });
  });

  it('reads the executor options of the arrival rates', () => {
    expect(
      one({
        executor: 'ramping-arrival-rate',
        startRate: 5,
        timeUnit: '1m',
        preAllocatedVUs: 2,
        maxVUs: 20,
        stages: [
          { duration: '30s', target: 60 },
          { duration: '1m', target: 0 },
        ],
      }),
    ).toMatchObject({
      startRate: 5,
      timeUnitMs: 60_000,
      preAllocatedVUs: 2,
      maxVUs: 20,
      stages: [
        { durationMs: 30_000, target: 60 },
        { durationMs: 60_000, target: 0 },
      ],
    });
  });

  it('keeps the scenarios in the order written, each with its name', () => {
    const scenarios = parseScenarios({
      browse: { executor: 'constant-vus', duration: '10s' },
      'write_2-x': { executor: 'shared-iterations' },
    });
    expect(scenarios.map((s) => [s.name, s.executor])).toEqual([
      ['browse', 'constant-vus'],
      ['write_2-x', 'shared-iterations'],
    ]);
  });

  it('refuses scenarios that are not an object, or empty', () => {
    expect(() => parseScenarios(null)).toThrow(OptionsError);
    expect(() => parseScenarios([])).toThrow(OptionsError);
    expect(() => parseScenarios({})).toThrow('scenarios is empty');
  });

  describe('errors', () => {
    it('refuses shared-iterations with fewer iterations than VUs', () => {
      expect(error({ executor: 'shared-iterations', vus: 10, iterations: 5 })).toBe(
        'scenario "test": the number of iterations (5) can\'t be less than the number of VUs (10)',
      );
    });

    it('refuses an unknown executor, listing the known ones', () => {
      const message = error({ executor: 'constant-looping-vus', vus: 1 });
      expect(message).toContain('executor must be one of shared-iterations, per-vu-iterations, constant-vus');
      expect(message).toContain('got "constant-looping-vus"');
    });

    it('refuses a missing executor', () => {
      expect(error({ vus: 1 })).toContain('executor must be one of');
    });

    it('refuses externally-controlled, saying it needs k6', () => {
      expect(error({ executor: 'externally-controlled', vus: 1, maxVUs: 10, duration: '1m' })).toMatch(
        /externally-controlled executor needs k6 itself/,
      );
    });

    it('refuses an option the executor does not have', () => {
      const message = error({ executor: 'shared-iterations', vus: 2, iterations: 10, duration: '30s' });
      expect(message).toMatch(/^scenario "test": shared-iterations has no option "duration"/);
      expect(message).toContain('maxDuration');
      expect(error({ executor: 'constant-vus', duration: '10s', iterations: 5 })).toContain(
        'constant-vus has no option "iterations"',
      );
      expect(error({ executor: 'ramping-vus', stages: [{ duration: '1s', target: 1 }], vus: 5 })).toContain(
        'ramping-vus has no option "vus"',
      );
    });

    it('refuses browser options', () => {
      expect(error({ executor: 'shared-iterations', options: { browser: { type: 'chromium' } } })).toContain(
        'this runner has no browser',
      );
    });

    it.each([['with space'], ['dots.not.allowed'], ['ümlaut'], ['']])('refuses the scenario name "%s"', (name) => {
      expect(() => parseScenarios({ [name]: { executor: 'shared-iterations' } })).toThrow(OptionsError);
      expect(() => parseScenarios({ [name]: { executor: 'shared-iterations' } })).toThrow(
        'may hold only letters, digits, _ and -',
      );
    });

    it('refuses a scenario that is not an object', () => {
      expect(error('constant-vus')).toBe('scenario "test" must be an object');
    });

    it('refuses maxVUs under preAllocatedVUs', () => {
      expect(
        error({ executor: 'constant-arrival-rate', rate: 1, duration: '10s', preAllocatedVUs: 10, maxVUs: 5 }),
      ).toContain("maxVUs (5) can't be less than preAllocatedVUs (10)");
      expect(
        error({
          executor: 'ramping-arrival-rate',
          preAllocatedVUs: 10,
          maxVUs: 5,
          stages: [{ duration: '1s', target: 1 }],
        }),
      ).toContain("maxVUs (5) can't be less than preAllocatedVUs (10)");
    });

    it('requires preAllocatedVUs of the arrival rates', () => {
      expect(error({ executor: 'constant-arrival-rate', rate: 1, duration: '10s' })).toContain(
        'preAllocatedVUs is required',
      );
    });

    it('requires a positive rate of constant-arrival-rate', () => {
      expect(error({ executor: 'constant-arrival-rate', duration: '10s', preAllocatedVUs: 1 })).toContain(
        'rate is required',
      );
      expect(error({ executor: 'constant-arrival-rate', rate: 0, duration: '10s', preAllocatedVUs: 1 })).toContain(
        'rate must be at least',
      );
    });

    it('refuses a constant-vus duration under 1s, and a missing one', () => {
      expect(error({ executor: 'constant-vus', duration: '500ms' })).toBe(
        'scenario "test": duration must be at least 1s; got 500ms',
      );
      expect(error({ executor: 'constant-vus' })).toContain('duration is required');
      expect(one({ executor: 'constant-vus', duration: '1s' })).toMatchObject({ durationMs: 1000 });
    });

    it('refuses a constant-arrival-rate duration under 1s', () => {
      expect(error({ executor: 'constant-arrival-rate', rate: 1, duration: '999ms', preAllocatedVUs: 1 })).toContain(
        'duration must be at least 1s',
      );
    });

    it('refuses a maxDuration under 1s, as k6 does', () => {
      expect(() => one({ executor: 'shared-iterations', maxDuration: '500ms' })).toThrow(OptionsError);
      expect(() => one({ executor: 'per-vu-iterations', maxDuration: '500ms' })).toThrow(OptionsError);
    });

    it('refuses a zero maxDuration or timeUnit', () => {
      expect(error({ executor: 'per-vu-iterations', maxDuration: '0s' })).toContain('maxDuration must be at least 1s');
      expect(
        error({ executor: 'constant-arrival-rate', rate: 1, timeUnit: 0, duration: '10s', preAllocatedVUs: 1 }),
      ).toContain('timeUnit must be more than 0');
    });

    it('refuses missing or empty stages', () => {
      expect(error({ executor: 'ramping-vus' })).toContain('stages must list at least one stage');
      expect(error({ executor: 'ramping-vus', stages: [] })).toContain('stages must list at least one stage');
      expect(error({ executor: 'ramping-arrival-rate', preAllocatedVUs: 1 })).toContain(
        'stages must list at least one stage',
      );
    });

    it('refuses a ramping-vus whose start and every target are 0, as k6 does', () => {
      expect(() => one({ executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '10s', target: 0 }] })).toThrow(
        OptionsError,
      );
    });

    it('refuses malformed stages, naming the stage', () => {
      expect(error({ executor: 'ramping-vus', stages: [{ duration: '1s', target: 1 }, 'x'] })).toContain(
        'stages[1] must be { duration, target }',
      );
      expect(error({ executor: 'ramping-vus', stages: [{ duration: '1s', target: 1, vus: 3 }] })).toContain(
        'stages[0] has an unknown field "vus"',
      );
      expect(error({ executor: 'ramping-vus', stages: [{ target: 1 }] })).toContain('stages[0]: duration is required');
      expect(error({ executor: 'ramping-vus', stages: [{ duration: '1s', target: -1 }] })).toContain(
        'target must be at least 0',
      );
    });

    it('refuses counts that are not whole numbers, or too small', () => {
      expect(error({ executor: 'constant-vus', vus: 1.5, duration: '10s' })).toContain(
        'vus must be a whole number; got 1.5',
      );
      expect(error({ executor: 'constant-vus', vus: '10', duration: '10s' })).toContain(
        'vus must be a whole number; got "10"',
      );
      expect(error({ executor: 'constant-vus', vus: 0, duration: '10s' })).toContain('vus must be at least 1; got 0');
      expect(error({ executor: 'per-vu-iterations', iterations: 0 })).toContain('iterations must be at least 1');
    });

    it('refuses a bad duration, naming the field', () => {
      expect(error({ executor: 'constant-vus', duration: 'ten seconds' })).toMatch(
        /^scenario "test": duration must be a duration/,
      );
      expect(error({ executor: 'shared-iterations', gracefulStop: '-1s' })).toContain(
        'gracefulStop must be a duration',
      );
    });

    it('refuses an empty exec and env values that are not strings', () => {
      expect(error({ executor: 'shared-iterations', exec: '' })).toContain(
        'exec must be the name of an exported function',
      );
      expect(error({ executor: 'shared-iterations', env: { N: 3 } })).toContain('env.N must be a string; got 3');
      expect(error({ executor: 'shared-iterations', tags: 'x' })).toContain('tags must be an object');
    });

    it('refuses a zero maxVUs', () => {
      expect(error({ executor: 'constant-arrival-rate', rate: 1, duration: '10s', preAllocatedVUs: 0 })).toContain(
        'preAllocatedVUs or maxVUs must be at least 1',
      );
    });
  });
});
