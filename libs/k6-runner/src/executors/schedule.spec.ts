import { type Scenario, type Stage, parseScenarios } from '../options/scenarios';
import {
  constantArrivals,
  describeScenario,
  nextRampingChange,
  rampingArrivals,
  rampingVusAt,
  scenarioDuration,
  scenarioEnd,
  scenarioMaxVus,
  scenarioPreallocatedVus,
  stagesDuration,
  testMaxVus,
} from './schedule';

function scenario(config: Record<string, unknown>, name = 'test'): Scenario {
  return parseScenarios({ [name]: config })[0];
}

function scenarios(configs: Record<string, unknown>): Scenario[] {
  return parseScenarios(configs);
}

const stage = (seconds: number, target: number): Stage => ({ durationMs: seconds * 1000, target });

describe('rampingVusAt', () => {
  it('ramps up linearly, one VU at a time', () => {
    const stages = [stage(10, 10)];
    expect(rampingVusAt(0, stages, 0)).toBe(0);
    expect(rampingVusAt(0, stages, 999)).toBe(0);
    expect(rampingVusAt(0, stages, 1000)).toBe(1);
    expect(rampingVusAt(0, stages, 4999)).toBe(4);
    expect(rampingVusAt(0, stages, 5000)).toBe(5);
    expect(rampingVusAt(0, stages, 9999)).toBe(9);
    expect(rampingVusAt(0, stages, 10_000)).toBe(10);
  });

  it('ramps down linearly, one VU at a time', () => {
    const stages = [stage(10, 0)];
    expect([0, 1000, 2000, 5000, 9000, 9999, 10_000].map((t) => rampingVusAt(10, stages, t))).toEqual([
      10, 9, 8, 5, 1, 1, 0,
    ]);
  });

  it('holds the last target after the stages', () => {
    expect(rampingVusAt(0, [stage(10, 10)], 60_000)).toBe(10);
    expect(rampingVusAt(3, [], 1000)).toBe(3);
  });

  it('goes through several stages, each from the previous target', () => {
    const stages = [stage(10, 20), stage(20, 20), stage(10, 0)];
    expect(rampingVusAt(0, stages, 5000)).toBe(10);
    expect(rampingVusAt(0, stages, 15_000)).toBe(20);
    expect(rampingVusAt(0, stages, 30_000)).toBe(20);
    expect(rampingVusAt(0, stages, 35_000)).toBe(10);
    expect(rampingVusAt(0, stages, 40_000)).toBe(0);
  });

  it('starts from startVUs', () => {
    expect(rampingVusAt(5, [stage(10, 15)], 0)).toBe(5);
    expect(rampingVusAt(5, [stage(10, 15)], 5000)).toBe(10);
  });

  it('jumps at a stage of 0 s', () => {
    const stages = [stage(5, 5), stage(0, 50), stage(5, 50)];
    expect(rampingVusAt(0, stages, 4999)).toBe(4);
    expect(rampingVusAt(0, stages, 5000)).toBe(50);
    expect(rampingVusAt(0, [stage(0, 8)], 0)).toBe(8);
  });

  it('never moves more than one VU per step when the steps are uneven', () => {
    const stages = [stage(3, 7)];
    let previous = rampingVusAt(0, stages, 0);
    for (let t = 1; t <= 3000; t++) {
      const now = rampingVusAt(0, stages, t);
      expect(now - previous === 0 || now - previous === 1).toBe(true);
      previous = now;
    }
    expect(previous).toBe(7);
  });
});

describe('nextRampingChange', () => {
  it('answers the moment of the next one-VU step', () => {
    const stages = [stage(10, 10)];
    expect(nextRampingChange(0, stages, 0)).toBe(1000);
    expect(nextRampingChange(0, stages, 999)).toBe(1000);
    expect(nextRampingChange(0, stages, 1000)).toBe(2000);
    expect(nextRampingChange(0, stages, 9500)).toBe(10_000);
  });

  it('answers undefined after the last change', () => {
    expect(nextRampingChange(0, [stage(10, 10)], 10_000)).toBeUndefined();
    expect(nextRampingChange(0, [stage(10, 10)], 20_000)).toBeUndefined();
  });

  it('skips a flat stage to the next ramp', () => {
    const stages = [stage(10, 5), stage(30, 5), stage(10, 0)];
    expect(nextRampingChange(0, stages, 10_000)).toBe(42_000);
    expect(nextRampingChange(0, stages, 20_000)).toBe(42_000);
    expect(nextRampingChange(5, [stage(10, 5)], 0)).toBeUndefined();
  });

  it('answers the moment of a 0 s stage’s jump', () => {
    expect(nextRampingChange(0, [stage(5, 0), stage(0, 10)], 0)).toBe(5000);
  });

  it('agrees with rampingVusAt: the count changes at the answered moment, not before', () => {
    const stages = [stage(7, 3), stage(2, 9), stage(5, 9), stage(4, 1)];
    let t = 0;
    let changes = 0;
    for (let next = nextRampingChange(2, stages, t); next !== undefined; next = nextRampingChange(2, stages, t)) {
      expect(next).toBeGreaterThan(t);
      expect(rampingVusAt(2, stages, next - 1)).toBe(rampingVusAt(2, stages, t));
      expect(rampingVusAt(2, stages, next)).not.toBe(rampingVusAt(2, stages, t));
      t = next;
      changes++;
    }
    // 2→3, 3→9, 9→1: 1 + 6 + 8 steps.
    expect(changes).toBe(15);
    expect(rampingVusAt(2, stages, t)).toBe(1);
  });
});

describe('stagesDuration', () => {
  it('adds the stages up', () => {
    expect(stagesDuration([stage(10, 1), stage(0, 5), stage(20, 0)])).toBe(30_000);
    expect(stagesDuration([])).toBe(0);
  });
});

describe('constantArrivals', () => {
  it('starts the first at 0 and one every timeUnit/rate, none at or after the duration', () => {
    expect([...constantArrivals(10, 1000, 1000)]).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  });

  it('spreads a rate per minute', () => {
    expect([...constantArrivals(2, 60_000, 120_000)]).toEqual([0, 30_000, 60_000, 90_000]);
  });

  it('starts rate × duration / timeUnit iterations', () => {
    expect([...constantArrivals(30, 1000, 60_000)]).toHaveLength(1800);
  });

  it('handles a rate under one per time unit', () => {
    expect([...constantArrivals(0.5, 1000, 5000)]).toEqual([0, 2000, 4000]);
  });
});

describe('rampingArrivals', () => {
  it('starts as many iterations as the integral of a rising rate: 0 → 10/s over 10 s is 50', () => {
    const starts = [...rampingArrivals(0, 1000, [stage(10, 10)])];
    expect(starts).toHaveLength(50);
    // Due n at t with t²/2 × 1/s² = n: the first at √2 s, the last at 10 s.
    expect(starts[0]).toBeCloseTo(Math.sqrt(2) * 1000, 6);
    expect(starts[49]).toBeCloseTo(10_000, 6);
  });

  it('starts rate × duration for a flat stage: 10/s for 10 s is 100, evenly spread', () => {
    const starts = [...rampingArrivals(10, 1000, [stage(10, 10)])];
    expect(starts).toHaveLength(100);
    expect(starts[0]).toBeCloseTo(100, 6);
    expect(starts[1]).toBeCloseTo(200, 6);
    expect(starts[99]).toBeCloseTo(10_000, 6);
  });

  it('counts every stage by its own integral', () => {
    const stages = [stage(10, 10), stage(10, 10), stage(10, 0)];
    const starts = [...rampingArrivals(0, 1000, stages)];
    expect(starts).toHaveLength(50 + 100 + 50);
    expect(starts.filter((t) => t <= 10_000)).toHaveLength(50);
    expect(starts.filter((t) => t > 10_000 && t <= 20_000)).toHaveLength(100);
    expect(starts.filter((t) => t > 20_000)).toHaveLength(50);
  });

  it('starts in order, within the stages', () => {
    const starts = [...rampingArrivals(2, 1000, [stage(5, 20), stage(5, 1)])];
    for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThanOrEqual(starts[i - 1]);
    expect(starts[0]).toBeGreaterThan(0);
    expect(starts[starts.length - 1]).toBeLessThanOrEqual(10_000);
    // (2 + 20)/2 × 5 + (20 + 1)/2 × 5 = 55 + 52.5
    expect(starts).toHaveLength(107);
  });

  it('reads the rates per timeUnit', () => {
    // 60/min for a minute is 60 iterations.
    expect([...rampingArrivals(60, 60_000, [stage(60, 60)])]).toHaveLength(60);
  });

  it('starts nothing in a stage of 0 s, and nothing at a rate of 0', () => {
    expect([...rampingArrivals(0, 1000, [stage(0, 100)])]).toEqual([]);
    expect([...rampingArrivals(0, 1000, [stage(10, 0)])]).toEqual([]);
  });
});

describe('scenarioMaxVus and scenarioPreallocatedVus', () => {
  it('answers the VUs of each executor', () => {
    expect(scenarioMaxVus(scenario({ executor: 'shared-iterations', vus: 4, iterations: 10 }))).toBe(4);
    expect(scenarioMaxVus(scenario({ executor: 'per-vu-iterations', vus: 6 }))).toBe(6);
    expect(scenarioMaxVus(scenario({ executor: 'constant-vus', vus: 8, duration: '10s' }))).toBe(8);
    expect(
      scenarioMaxVus(
        scenario({
          executor: 'ramping-vus',
          startVUs: 3,
          stages: [
            { duration: '5s', target: 12 },
            { duration: '5s', target: 2 },
          ],
        }),
      ),
    ).toBe(12);
    expect(
      scenarioMaxVus(scenario({ executor: 'ramping-vus', startVUs: 20, stages: [{ duration: '5s', target: 2 }] })),
    ).toBe(20);
    const arrival = scenario({
      executor: 'constant-arrival-rate',
      rate: 5,
      duration: '10s',
      preAllocatedVUs: 2,
      maxVUs: 9,
    });
    expect(scenarioMaxVus(arrival)).toBe(9);
    expect(scenarioPreallocatedVus(arrival)).toBe(2);
    expect(scenarioPreallocatedVus(scenario({ executor: 'constant-vus', vus: 8, duration: '10s' }))).toBe(8);
  });
});

describe('scenarioDuration and scenarioEnd', () => {
  it('answers the run time of each executor, and its end with startTime and gracefulStop', () => {
    const shared = scenario({ executor: 'shared-iterations', maxDuration: '1m', startTime: '10s', gracefulStop: '5s' });
    expect(scenarioDuration(shared)).toBe(60_000);
    expect(scenarioEnd(shared)).toBe(75_000);
    const ramping = scenario({
      executor: 'ramping-vus',
      stages: [
        { duration: '10s', target: 5 },
        { duration: '20s', target: 0 },
      ],
    });
    expect(scenarioDuration(ramping)).toBe(30_000);
    expect(scenarioEnd(ramping)).toBe(60_000);
    expect(scenarioDuration(scenario({ executor: 'constant-vus', duration: '45s' }))).toBe(45_000);
  });
});

describe('testMaxVus', () => {
  it('adds up scenarios that run at the same time', () => {
    const list = scenarios({
      a: { executor: 'constant-vus', vus: 10, duration: '1m' },
      b: { executor: 'constant-vus', vus: 5, duration: '30s', startTime: '20s' },
    });
    expect(testMaxVus(list)).toBe(15);
  });

  it('does not add up scenarios one after the other', () => {
    const list = scenarios({
      a: { executor: 'constant-vus', vus: 10, duration: '30s', gracefulStop: '0s' },
      b: { executor: 'constant-vus', vus: 5, duration: '30s', startTime: '30s', gracefulStop: '0s' },
      c: { executor: 'shared-iterations', vus: 8, iterations: 8, maxDuration: '10s', startTime: '1m' },
    });
    expect(testMaxVus(list)).toBe(10);
  });

  it('counts the gracefulStop as running time', () => {
    const list = scenarios({
      a: { executor: 'constant-vus', vus: 10, duration: '30s', gracefulStop: '10s' },
      b: { executor: 'constant-vus', vus: 5, duration: '30s', startTime: '35s' },
    });
    expect(testMaxVus(list)).toBe(15);
  });

  it('uses the given measure of VUs', () => {
    const list = scenarios({
      a: { executor: 'constant-arrival-rate', rate: 5, duration: '10s', preAllocatedVUs: 2, maxVUs: 50 },
      b: { executor: 'constant-vus', vus: 3, duration: '10s' },
    });
    expect(testMaxVus(list)).toBe(53);
    expect(testMaxVus(list, scenarioPreallocatedVus)).toBe(5);
  });
});

describe('describeScenario', () => {
  it('describes each executor as k6 does', () => {
    expect(describeScenario(scenario({ executor: 'shared-iterations', vus: 10, iterations: 100 }))).toBe(
      '100 iterations shared among 10 VUs (maxDuration: 10m0s, gracefulStop: 30s)',
    );
    expect(
      describeScenario(scenario({ executor: 'per-vu-iterations', vus: 2, iterations: 5, maxDuration: '1m30s' })),
    ).toBe('5 iterations for each of 2 VUs (maxDuration: 1m30s, gracefulStop: 30s)');
    expect(describeScenario(scenario({ executor: 'constant-vus', vus: 10, duration: '30s' }))).toBe(
      '10 looping VUs for 30s (gracefulStop: 30s)',
    );
    expect(
      describeScenario(
        scenario({
          executor: 'ramping-vus',
          startVUs: 0,
          stages: [
            { duration: '30s', target: 20 },
            { duration: '1m', target: 20 },
            { duration: '30s', target: 0 },
          ],
        }),
      ),
    ).toBe('Up to 20 looping VUs for 2m0s over 3 stages (gracefulRampDown: 30s, gracefulStop: 30s)');
    expect(
      describeScenario(
        scenario({ executor: 'constant-arrival-rate', rate: 30, duration: '1m', preAllocatedVUs: 10, maxVUs: 50 }),
      ),
    ).toBe('30.00 iterations/s for 1m0s (maxVUs: 10-50, gracefulStop: 30s)');
    expect(
      describeScenario(
        scenario({
          executor: 'ramping-arrival-rate',
          startRate: 10,
          timeUnit: '1m',
          preAllocatedVUs: 5,
          maxVUs: 5,
          stages: [
            { duration: '1m', target: 120 },
            { duration: '1m', target: 0 },
          ],
        }),
      ),
    ).toBe('Up to 2.00 iterations/s for 2m0s over 2 stages (maxVUs: 5-5, gracefulStop: 30s)');
  });

  it('prints a rate per timeUnit as iterations per second', () => {
    expect(
      describeScenario(
        scenario({ executor: 'constant-arrival-rate', rate: 1, timeUnit: '3s', duration: '1m', preAllocatedVUs: 1 }),
      ),
    ).toMatch(/^0\.33 iterations\/s for 1m0s/);
  });

  it('lists exec and startTime after the executor’s facts and before gracefulStop, as k6 does', () => {
    expect(
      describeScenario(
        scenario({ executor: 'constant-vus', vus: 5, duration: '30s', exec: 'studiers', startTime: '10s' }),
      ),
    ).toBe('5 looping VUs for 30s (exec: studiers, startTime: 10s, gracefulStop: 30s)');
  });

  it('leaves out a gracefulStop of 0, as k6 does', () => {
    expect(describeScenario(scenario({ executor: 'constant-vus', vus: 5, duration: '30s', gracefulStop: '0s' }))).toBe(
      '5 looping VUs for 30s',
    );
  });
});
