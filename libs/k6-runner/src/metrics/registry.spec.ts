import { BUILTIN_METRICS, MetricError, Registry, SelectorError, parseSelector, selectorName } from './registry';
import type { RateSink, TrendSink } from './sinks';

describe('parseSelector', () => {
  it('reads a bare metric name', () => {
    expect(parseSelector('http_req_duration')).toEqual({ metric: 'http_req_duration', tags: [] });
  });

  it('reads tags in the order written', () => {
    expect(parseSelector('http_req_duration{scenario:studiers,method:GET}')).toEqual({
      metric: 'http_req_duration',
      tags: [
        ['scenario', 'studiers'],
        ['method', 'GET'],
      ],
    });
  });

  it('allows spaces around the name, the tags and their parts', () => {
    expect(parseSelector('  http_reqs { status : 200 , name: login }  ')).toEqual({
      metric: 'http_reqs',
      tags: [
        ['status', '200'],
        ['name', 'login'],
      ],
    });
  });

  it('keeps colons after the first in the value', () => {
    expect(parseSelector('http_reqs{url:http://localhost:3000/x}').tags).toEqual([['url', 'http://localhost:3000/x']]);
  });

  it('takes quotes off a value', () => {
    expect(parseSelector(`checks{check:"status is 200"}`).tags).toEqual([['check', 'status is 200']]);
    expect(parseSelector(`checks{check:'body ok'}`).tags).toEqual([['check', 'body ok']]);
  });

  it.each([
    ['an empty string', ''],
    ['an empty tag selector', 'http_reqs{}'],
    ['a tag without a value part', 'http_reqs{status}'],
    ['a tag without a name', 'http_reqs{:200}'],
    ['an unclosed brace', 'http_reqs{status:200'],
    ['a closing brace only', 'http_reqs}'],
    ['text after the selector', 'http_reqs{status:200}x'],
    ['two selectors', 'http_reqs{a:1}{b:2}'],
    ['a space inside the name', 'http reqs'],
    ['nested braces', 'http_reqs{a:{b:1}}'],
  ])('refuses %s', (_label, text) => {
    expect(() => parseSelector(text)).toThrow(SelectorError);
  });

  it('quotes the selector in its error', () => {
    expect(() => parseSelector('http_reqs{status}')).toThrow('"http_reqs{status}"');
  });
});

describe('selectorName', () => {
  it('writes the canonical name, without spaces', () => {
    expect(selectorName(parseSelector('http_reqs'))).toBe('http_reqs');
    expect(selectorName(parseSelector('http_reqs{ a : 1 , b:2 }'))).toBe('http_reqs{a:1,b:2}');
  });
});

describe('Registry', () => {
  it('holds every k6 built-in metric with its type and contents', () => {
    const registry = new Registry();
    for (const [name, { type, contains }] of Object.entries(BUILTIN_METRICS)) {
      const metric = registry.get(name);
      expect(metric).toBeDefined();
      expect(metric?.type).toBe(type);
      expect(metric?.contains).toBe(contains);
    }
    expect(registry.get('http_req_duration')).toMatchObject({ type: 'trend', contains: 'time' });
    expect(registry.get('checks')).toMatchObject({ type: 'rate' });
    expect(registry.get('vus')).toMatchObject({ type: 'gauge' });
    expect(registry.get('data_received')).toMatchObject({ type: 'counter', contains: 'data' });
    expect(registry.get('nope')).toBeUndefined();
  });

  it('has k6’s default sub-metric http_req_duration{expected_response:true}', () => {
    const registry = new Registry();
    const names = registry.get('http_req_duration')?.submetrics.map((s) => s.name);
    expect(names).toEqual(['http_req_duration{expected_response:true}']);
  });

  it('feeds the expected_response sub-metric only the expected responses', () => {
    const registry = new Registry();
    registry.add('http_req_duration', 100, { expected_response: 'true', status: '200' });
    registry.add('http_req_duration', 900, { expected_response: 'false', status: '500' });
    registry.add('http_req_duration', 300, { expected_response: 'true', status: '201' });
    const metric = registry.get('http_req_duration')!;
    const sub = metric.submetrics[0];
    expect((metric.sink as TrendSink).count).toBe(3);
    expect((sub.sink as TrendSink).count).toBe(2);
    expect((sub.sink as TrendSink).stat('max')).toBe(300);
  });

  describe('define', () => {
    it('creates a custom metric of the given type', () => {
      const registry = new Registry();
      const metric = registry.define('login_time', 'trend', 'time');
      expect(metric).toMatchObject({ name: 'login_time', type: 'trend', contains: 'time' });
      expect(registry.get('login_time')).toBe(metric);
      expect(registry.all()).toContain(metric);
    });

    it('answers the same metric for the same definition, as every VU defines it again', () => {
      const registry = new Registry();
      const first = registry.define('errors', 'counter', 'default');
      first.add(2, {});
      const second = registry.define('errors', 'counter', 'default');
      expect(second).toBe(first);
      expect(second.sink).toMatchObject({ count: 2 });
    });

    it('answers a built-in metric for its own definition', () => {
      const registry = new Registry();
      expect(registry.define('http_reqs', 'counter', 'default')).toBe(registry.get('http_reqs'));
    });

    it('refuses another type under a taken name', () => {
      const registry = new Registry();
      registry.define('errors', 'counter', 'default');
      expect(() => registry.define('errors', 'rate', 'default')).toThrow(MetricError);
      expect(() => registry.define('errors', 'rate', 'default')).toThrow(
        'metric "errors" already exists as a counter; it cannot also be a rate',
      );
      expect(() => registry.define('http_req_duration', 'counter', 'default')).toThrow(MetricError);
    });

    it('refuses the same type with other contents under a taken name', () => {
      const registry = new Registry();
      registry.define('wait', 'trend', 'default');
      expect(() => registry.define('wait', 'trend', 'time')).toThrow(
        /already exists as a trend; it cannot also be a trend of time/,
      );
    });

    it.each([
      ['starting with a digit', '1metric'],
      ['with a dash', 'my-metric'],
      ['with a dot', 'my.metric'],
      ['with a space', 'my metric'],
      ['empty', ''],
      ['over 128 characters', `a${'b'.repeat(128)}`],
    ])('refuses a name %s', (_label, name) => {
      const registry = new Registry();
      expect(() => registry.define(name, 'counter', 'default')).toThrow(MetricError);
      expect(registry.get(name)).toBeUndefined();
    });

    it('accepts names of letters, digits and _ up to 128 characters', () => {
      const registry = new Registry();
      for (const name of ['_private', 'a', 'Login_Time_2', `a${'b'.repeat(127)}`]) {
        expect(registry.define(name, 'gauge', 'default').name).toBe(name);
      }
    });
  });

  describe('sub-metrics', () => {
    it('feed a sub-metric only the samples whose tags match every selector tag', () => {
      const registry = new Registry();
      const sub = registry.submetric(parseSelector('http_req_duration{scenario:a,method:GET}'));
      registry.add('http_req_duration', 10, { scenario: 'a', method: 'GET', status: '200' });
      registry.add('http_req_duration', 20, { scenario: 'a', method: 'POST' });
      registry.add('http_req_duration', 30, { scenario: 'b', method: 'GET' });
      registry.add('http_req_duration', 40, { scenario: 'a' });
      registry.add('http_req_duration', 50, { scenario: 'a', method: 'GET' });
      const sink = sub.sink as TrendSink;
      expect(sink.count).toBe(2);
      expect(sink.sum).toBe(60);
      expect((registry.get('http_req_duration')!.sink as TrendSink).count).toBe(5);
    });

    it('give a sub-metric the sink of its parent’s type', () => {
      const registry = new Registry();
      const sub = registry.submetric(parseSelector('checks{check:status is 200}'));
      expect(sub.sink.type).toBe('rate');
      registry.add('checks', 1, { check: 'status is 200' });
      registry.add('checks', 0, { check: 'status is 200' });
      registry.add('checks', 0, { check: 'other' });
      expect((sub.sink as RateSink).rate).toBe(0.5);
      expect((registry.get('checks')!.sink as RateSink).rate).toBeCloseTo(1 / 3, 10);
    });

    it('are created once per canonical selector', () => {
      const registry = new Registry();
      const first = registry.submetric(parseSelector('http_reqs{status:200}'));
      const again = registry.submetric(parseSelector(' http_reqs{ status : 200 } '));
      expect(again).toBe(first);
      expect(registry.get('http_reqs')!.submetrics).toHaveLength(1);
      expect(first.name).toBe('http_reqs{status:200}');
    });

    it('need their metric to exist', () => {
      const registry = new Registry();
      expect(() => registry.submetric(parseSelector('nope{a:1}'))).toThrow(MetricError);
      expect(() => registry.submetric(parseSelector('nope{a:1}'))).toThrow('no metric named "nope"');
    });
  });

  it('refuses a sample for an unknown metric', () => {
    const registry = new Registry();
    expect(() => registry.add('nope', 1, {})).toThrow(MetricError);
    expect(() => registry.add('nope', 1, {})).toThrow('"nope"');
  });
});
