import { Registry } from '../metrics/registry';
import {
  ThresholdError,
  abortingThresholds,
  bindThresholds,
  evaluateThresholds,
  parseExpression,
  parseThresholds,
} from './thresholds';

function bound(raw: unknown, registry: Registry) {
  return bindThresholds(parseThresholds(raw), registry);
}

describe('parseExpression', () => {
  it.each([
    ['p(95)<200', 'p(95)', '<', 200],
    ['avg<200', 'avg', '<', 200],
    ['rate<0.01', 'rate', '<', 0.01],
    ['count>=500', 'count', '>=', 500],
    ['value<4000', 'value', '<', 4000],
    ['p(99.9)<1000', 'p(99.9)', '<', 1000],
    ['rate==1', 'rate', '==', 1],
    ['med<=150', 'med', '<=', 150],
    ['max>0', 'max', '>', 0],
    ['min===0', 'min', '===', 0],
    ['count!=0', 'count', '!=', 0],
  ])('reads the k6 docs’ %s', (source, aggregation, operator, value) => {
    expect(parseExpression(source)).toEqual({ source, aggregation, operator, value });
  });

  it('allows spaces around and inside the parts, and drops them from the aggregation', () => {
    expect(parseExpression(' p( 95 ) < 200 ')).toMatchObject({ aggregation: 'p(95)', operator: '<', value: 200 });
    expect(parseExpression('avg <= 1.5')).toMatchObject({ aggregation: 'avg', operator: '<=', value: 1.5 });
  });

  it('reads signed, fractional and exponent values', () => {
    expect(parseExpression('value>-5').value).toBe(-5);
    expect(parseExpression('rate<.05').value).toBe(0.05);
    expect(parseExpression('avg<1e3').value).toBe(1000);
  });

  it('keeps the expression as written', () => {
    expect(parseExpression('p(95) < 200').source).toBe('p(95) < 200');
  });

  it.each([
    ['an unknown aggregation', 'mean<200'],
    ['no operator', 'p(95)200'],
    ['no value', 'p(95)<'],
    ['a unit on the value', 'p(95)<200ms'],
    ['a bad operator', 'avg=>200'],
    ['a percentile without N', 'p()<200'],
    ['an empty string', ''],
    ['two comparisons', 'avg<200<300'],
  ])('refuses %s', (_label, source) => {
    expect(() => parseExpression(source)).toThrow(ThresholdError);
    expect(() => parseExpression(source)).toThrow(`"${source}" is not a threshold expression`);
  });

  it('refuses a percentile over 100', () => {
    expect(() => parseExpression('p(101)<200')).toThrow(ThresholdError);
    expect(() => parseExpression('p(101)<200')).toThrow('a percentile must be between 0 and 100');
  });
});

describe('parseThresholds', () => {
  it('answers nothing for no thresholds', () => {
    expect(parseThresholds(undefined)).toEqual([]);
    expect(parseThresholds(null)).toEqual([]);
    expect(parseThresholds({})).toEqual([]);
  });

  it('reads the k6 docs’ lists of expression strings, per metric and sub-metric', () => {
    const sets = parseThresholds({
      http_req_failed: ['rate<0.01'],
      http_req_duration: ['p(90)<400', 'p(95)<800', 'p(99.9)<2000'],
      'http_req_duration{scenario:a}': ['avg<200'],
    });
    expect(sets.map((s) => s.key)).toEqual(['http_req_failed', 'http_req_duration', 'http_req_duration{scenario:a}']);
    expect(sets[1].thresholds.map((t) => t.source)).toEqual(['p(90)<400', 'p(95)<800', 'p(99.9)<2000']);
    expect(sets[1].thresholds[0]).toEqual({
      source: 'p(90)<400',
      aggregation: 'p(90)',
      operator: '<',
      value: 400,
      abortOnFail: false,
      delayAbortEvalMs: 0,
    });
    expect(sets[2].selector).toEqual({ metric: 'http_req_duration', tags: [['scenario', 'a']] });
  });

  it('reads the object form with abortOnFail and delayAbortEval', () => {
    const [set] = parseThresholds({
      http_req_duration: [{ threshold: 'p(95)<200', abortOnFail: true, delayAbortEval: '10s' }],
    });
    expect(set.thresholds).toEqual([
      {
        source: 'p(95)<200',
        aggregation: 'p(95)',
        operator: '<',
        value: 200,
        abortOnFail: true,
        delayAbortEvalMs: 10_000,
      },
    ]);
  });

  it('defaults the object form to not aborting, with no delay', () => {
    const [set] = parseThresholds({ checks: [{ threshold: 'rate>0.9' }] });
    expect(set.thresholds[0]).toMatchObject({ abortOnFail: false, delayAbortEvalMs: 0 });
  });

  it('mixes strings and objects in one list', () => {
    const [set] = parseThresholds({
      http_req_duration: ['p(99)<1500', { threshold: 'p(95)<200', abortOnFail: true }],
    });
    expect(set.thresholds.map((t) => [t.source, t.abortOnFail])).toEqual([
      ['p(99)<1500', false],
      ['p(95)<200', true],
    ]);
  });

  it('refuses an unknown field of the object form, naming it', () => {
    const raw = { http_req_duration: [{ threshold: 'p(95)<200', abortOnFail: true, delayAbort: '10s' }] };
    expect(() => parseThresholds(raw)).toThrow(ThresholdError);
    expect(() => parseThresholds(raw)).toThrow('unknown field "delayAbort"');
  });

  it('refuses an abortOnFail that is not a boolean', () => {
    expect(() => parseThresholds({ checks: [{ threshold: 'rate>0.9', abortOnFail: 'yes' }] })).toThrow(ThresholdError);
  });

  it('refuses a delayAbortEval that is not a duration', () => {
    expect(() => parseThresholds({ checks: [{ threshold: 'rate>0.9', delayAbortEval: 'soon' }] })).toThrow(
      /delayAbortEval on checks/,
    );
  });

  it('refuses an invalid expression', () => {
    expect(() => parseThresholds({ http_req_duration: ['p95<200'] })).toThrow(ThresholdError);
  });

  it('refuses items that are neither strings nor threshold objects', () => {
    expect(() => parseThresholds({ checks: [42] })).toThrow(ThresholdError);
    expect(() => parseThresholds({ checks: [{ abortOnFail: true }] })).toThrow(/neither an expression string/);
  });

  it('refuses an invalid key, saying so', () => {
    expect(() => parseThresholds({ 'http_req_duration{scenario}': ['avg<200'] })).toThrow(ThresholdError);
    expect(() => parseThresholds({ 'http_req_duration{scenario}': ['avg<200'] })).toThrow(/^invalid threshold key/);
  });

  it('refuses thresholds that are not an object', () => {
    expect(() => parseThresholds(['p(95)<200'])).toThrow(ThresholdError);
    expect(() => parseThresholds('p(95)<200')).toThrow(ThresholdError);
  });
});

describe('bindThresholds', () => {
  it('ties a set to its metric, and a tagged set to its sub-metric', () => {
    const registry = new Registry();
    const [plain, tagged] = bound(
      { http_req_duration: ['p(95)<200'], 'http_req_duration{ scenario : a }': ['avg<100'] },
      registry,
    );
    expect(plain.target).toBe(registry.get('http_req_duration'));
    expect(plain).toMatchObject({ name: 'http_req_duration', type: 'trend' });
    expect(tagged.name).toBe('http_req_duration{scenario:a}');
    expect(tagged.type).toBe('trend');
    expect(registry.get('http_req_duration')!.submetrics.map((s) => s.name)).toContain('http_req_duration{scenario:a}');
    expect(tagged.target).toBe(registry.get('http_req_duration')!.submetrics.find((s) => s.name === tagged.name));
  });

  it('binds to a metric the script defined', () => {
    const registry = new Registry();
    registry.define('login_errors', 'counter', 'default');
    expect(bound({ login_errors: ['count<10'] }, registry)[0].type).toBe('counter');
  });

  it('refuses an unknown metric, naming it', () => {
    const registry = new Registry();
    expect(() => bound({ no_such_metric: ['count<1'] }, registry)).toThrow(ThresholdError);
    expect(() => bound({ no_such_metric: ['count<1'] }, registry)).toThrow('no metric named "no_such_metric"');
  });

  it.each([
    ['counter', 'http_reqs', ['count>0', 'rate>1'], ['value<1', 'avg<1', 'p(95)<1', 'med<1']],
    ['gauge', 'vus', ['value<10'], ['count<1', 'rate<1', 'avg<1', 'max<1']],
    ['rate', 'http_req_failed', ['rate<0.01'], ['count<1', 'value<1', 'avg<1']],
    [
      'trend',
      'http_req_duration',
      ['avg<1', 'min<1', 'max<1', 'med<1', 'p(95)<1', 'p(99.9)<1'],
      ['count<1', 'rate<1', 'value<1'],
    ],
  ])('lets a %s metric have only its aggregations', (type, metric, allowed, refused) => {
    const registry = new Registry();
    expect(bound({ [metric]: allowed }, registry)[0].type).toBe(type);
    for (const expression of refused) {
      expect(() => bound({ [metric]: [expression] }, registry)).toThrow(ThresholdError);
      expect(() => bound({ [metric]: [expression] }, registry)).toThrow(`does not apply to a ${type} metric`);
    }
  });

  it('checks a sub-metric’s aggregations against its parent’s type', () => {
    const registry = new Registry();
    expect(() => bound({ 'http_req_failed{scenario:a}': ['count<1'] }, registry)).toThrow(ThresholdError);
    expect(bound({ 'http_req_failed{scenario:a}': ['rate<0.1'] }, registry)[0].type).toBe('rate');
  });
});

describe('evaluateThresholds', () => {
  it('judges trend thresholds on the metric and its sub-metric separately', () => {
    const registry = new Registry();
    const sets = bound(
      {
        http_req_duration: ['p(95)<200', 'avg<100', 'max<=500'],
        'http_req_duration{scenario:a}': ['p(95)<200', 'med<60'],
      },
      registry,
    );
    for (let i = 1; i <= 100; i++) registry.add('http_req_duration', i, { scenario: i <= 50 ? 'a' : 'b' });
    registry.add('http_req_duration', 500, { scenario: 'b' });

    const outcomes = evaluateThresholds(sets, 10_000);
    const byKey = Object.fromEntries(outcomes.map((o) => [`${o.set.name} ${o.threshold.source}`, o]));
    // 101 samples: 1..100 and 500. p(95) sits at position 95 → 96.
    expect(byKey['http_req_duration p(95)<200']).toMatchObject({ ok: true, observed: 96 });
    expect(byKey['http_req_duration avg<100'].ok).toBe(true);
    expect(byKey['http_req_duration avg<100'].observed).toBeCloseTo(5550 / 101, 10);
    expect(byKey['http_req_duration max<=500']).toMatchObject({ ok: true, observed: 500 });
    // Scenario a holds 1..50: median 25.5.
    expect(byKey['http_req_duration{scenario:a} med<60']).toMatchObject({ ok: true, observed: 25.5 });
    expect(byKey['http_req_duration{scenario:a} p(95)<200'].observed).toBeCloseTo(47.55, 10);
    expect(outcomes).toHaveLength(5);
  });

  it('fails a crossed threshold', () => {
    const registry = new Registry();
    const sets = bound({ http_req_duration: ['p(95)<200', 'avg<200'] }, registry);
    for (const value of [100, 150, 300, 400]) registry.add('http_req_duration', value, {});
    const [p95, avg] = evaluateThresholds(sets, 1000);
    expect(p95.ok).toBe(false);
    expect(p95.observed).toBeCloseTo(385, 10); // position 2.85: 300 + 0.85 × 100
    expect(avg).toMatchObject({ ok: false, observed: 237.5 });
  });

  it('judges a sub-metric only on its own samples', () => {
    const registry = new Registry();
    const sets = bound({ 'http_req_duration{scenario:a}': ['max<100'] }, registry);
    registry.add('http_req_duration', 50, { scenario: 'a' });
    registry.add('http_req_duration', 5000, { scenario: 'b' });
    expect(evaluateThresholds(sets, 1000)[0]).toMatchObject({ ok: true, observed: 50 });
  });

  it('judges a rate by its share of non-zero samples', () => {
    const registry = new Registry();
    const sets = bound({ http_req_failed: ['rate<0.01'], checks: ['rate==1'] }, registry);
    for (let i = 0; i < 99; i++) registry.add('http_req_failed', 0, {});
    registry.add('http_req_failed', 1, {});
    registry.add('checks', 1, {});
    registry.add('checks', 1, {});
    const [failed, checks] = evaluateThresholds(sets, 1000);
    expect(failed).toMatchObject({ ok: false, observed: 0.01 });
    expect(checks).toMatchObject({ ok: true, observed: 1 });
  });

  it('judges a counter by its count, or its rate per second of the run so far', () => {
    const registry = new Registry();
    const sets = bound({ http_reqs: ['count>=500', 'rate>100'] }, registry);
    for (let i = 0; i < 600; i++) registry.add('http_reqs', 1, {});
    const [count, rate] = evaluateThresholds(sets, 10_000);
    expect(count).toMatchObject({ ok: true, observed: 600 });
    expect(rate).toMatchObject({ ok: false, observed: 60 });
    expect(evaluateThresholds(sets, 5000)[1]).toMatchObject({ ok: true, observed: 120 });
  });

  it('judges a gauge by its last value, and 0 before any', () => {
    const registry = new Registry();
    registry.define('heap', 'gauge', 'data');
    const sets = bound({ heap: ['value<4000'] }, registry);
    expect(evaluateThresholds(sets, 1000)[0]).toMatchObject({ ok: true, observed: 0 });
    registry.add('heap', 5000, {});
    registry.add('heap', 3000, {});
    expect(evaluateThresholds(sets, 1000)[0]).toMatchObject({ ok: true, observed: 3000 });
    registry.add('heap', 4500, {});
    expect(evaluateThresholds(sets, 1000)[0]).toMatchObject({ ok: false, observed: 4500 });
  });

  it('applies every operator', () => {
    const registry = new Registry();
    registry.define('level', 'gauge', 'default');
    const sets = bound(
      { level: ['value<5', 'value<=5', 'value>5', 'value>=5', 'value==5', 'value===5', 'value!=5'] },
      registry,
    );
    registry.add('level', 5, {});
    expect(evaluateThresholds(sets, 1000).map((o) => [o.threshold.operator, o.ok])).toEqual([
      ['<', false],
      ['<=', true],
      ['>', false],
      ['>=', true],
      ['==', true],
      ['===', true],
      ['!=', false],
    ]);
  });
});

describe('abortingThresholds', () => {
  function setup() {
    const registry = new Registry();
    const sets = bound(
      {
        http_req_duration: [
          'p(95)<100',
          { threshold: 'avg<100', abortOnFail: true },
          { threshold: 'max<100', abortOnFail: true, delayAbortEval: '10s' },
          { threshold: 'min<100', abortOnFail: true },
        ],
      },
      registry,
    );
    for (const value of [50, 200, 300]) registry.add('http_req_duration', value, {});
    return sets;
  }

  it('returns only crossed thresholds that abort on fail', () => {
    const aborting = abortingThresholds(setup(), 5000);
    // p(95) is crossed but does not abort; min<100 aborts but holds; max waits for 10s.
    expect(aborting.map((o) => o.threshold.source)).toEqual(['avg<100']);
    expect(aborting[0].ok).toBe(false);
    expect(aborting[0].observed).toBeCloseTo(550 / 3, 10);
  });

  it('adds a crossed threshold once its delayAbortEval has passed', () => {
    const sets = setup();
    expect(abortingThresholds(sets, 9999).map((o) => o.threshold.source)).toEqual(['avg<100']);
    expect(abortingThresholds(sets, 10_001).map((o) => o.threshold.source)).toEqual(['avg<100', 'max<100']);
  });

  it('returns nothing while every aborting threshold holds', () => {
    const registry = new Registry();
    const sets = bound({ http_req_failed: [{ threshold: 'rate<0.5', abortOnFail: true }] }, registry);
    registry.add('http_req_failed', 0, {});
    expect(abortingThresholds(sets, 60_000)).toEqual([]);
    registry.add('http_req_failed', 1, {});
    registry.add('http_req_failed', 1, {});
    expect(abortingThresholds(sets, 60_000).map((o) => o.set.name)).toEqual(['http_req_failed']);
  });
});
