import { Registry } from '../metrics/registry';
import { bindThresholds, evaluateThresholds, parseThresholds } from '../thresholds/thresholds';
import { GroupTree, type SummaryInput, buildSummaryData, summaryExport } from './summary-data';

const MD5_EMPTY = 'd41d8cd98f00b204e9800998ecf8427e';

interface ExportedGroup {
  name: string;
  path: string;
  id: string;
  groups: Record<string, ExportedGroup>;
  checks: Record<string, { name: string; path: string; id: string; passes: number; fails: number }>;
}

function input(registry: Registry, overrides: Partial<SummaryInput> = {}): SummaryInput {
  return {
    metrics: registry.all(),
    outcomes: [],
    groups: new GroupTree(),
    trendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'],
    summaryTimeUnit: undefined,
    noColor: false,
    durationMs: 10_000,
    setupData: undefined,
    isStdOutTTY: false,
    isStdErrTTY: true,
    ...overrides,
  };
}

describe('GroupTree', () => {
  it('starts with the root group: no name, empty path, the md5 of the empty path', () => {
    const tree = new GroupTree();
    expect(tree.root).toEqual({ name: '', path: '', id: MD5_EMPTY, groups: [], checks: [] });
  });

  it('builds nested groups from their paths, each with the md5 of its path as id', () => {
    const tree = new GroupTree();
    const b = tree.group('::a::b');
    expect(b).toMatchObject({ name: 'b', path: '::a::b', id: '7dd4103b2f1a7305f971d430101027b7' });
    const [a] = tree.root.groups;
    expect(a).toMatchObject({ name: 'a', path: '::a', id: 'bbf5ee9e65399b518cbae210b4c64962' });
    expect(a.groups).toEqual([b]);
  });

  it('answers the same group for the same path, keeping groups in the order first seen', () => {
    const tree = new GroupTree();
    const a = tree.group('::a');
    tree.group('::z');
    expect(tree.group('::a')).toBe(a);
    tree.group('::a::y');
    tree.group('::a::x');
    expect(tree.root.groups.map((g) => g.name)).toEqual(['a', 'z']);
    expect(a.groups.map((g) => g.name)).toEqual(['y', 'x']);
  });

  it('answers the root for the empty path', () => {
    const tree = new GroupTree();
    expect(tree.group('')).toBe(tree.root);
  });

  it('counts each check’s passes and fails under its group', () => {
    const tree = new GroupTree();
    tree.check('', 'status is 200', true);
    tree.check('', 'status is 200', false);
    tree.check('', 'status is 200', true);
    tree.check('::a::b', 'body ok', false);
    tree.check('::a', 'has id', true);

    expect(tree.root.checks).toEqual([
      { name: 'status is 200', path: '::status is 200', id: '6210a8cd14cd70477eba5c5e4cb3fb5f', passes: 2, fails: 1 },
    ]);
    const [a] = tree.root.groups;
    expect(a.checks).toEqual([
      { name: 'has id', path: '::a::has id', id: '0b3d0ae30d2a61dc4a75cfc5c13ff6a4', passes: 1, fails: 0 },
    ]);
    expect(a.groups[0].checks).toEqual([
      { name: 'body ok', path: '::a::b::body ok', id: '74620526c0891e58e704b13e5b3dd3ac', passes: 0, fails: 1 },
    ]);
  });

  it('keeps checks of the same name in different groups apart', () => {
    const tree = new GroupTree();
    tree.check('::a', 'ok', true);
    tree.check('::b', 'ok', false);
    expect(tree.group('::a').checks[0]).toMatchObject({ passes: 1, fails: 0 });
    expect(tree.group('::b').checks[0]).toMatchObject({ passes: 0, fails: 1 });
  });
});

describe('buildSummaryData', () => {
  it('holds only the metrics that had samples', () => {
    const registry = new Registry();
    registry.add('http_reqs', 1, {});
    registry.add('http_reqs', 1, {});
    registry.add('vus', 3, {});
    const data = buildSummaryData(input(registry));
    expect(Object.keys(data.metrics).sort()).toEqual(['http_reqs', 'vus']);
    expect(data.metrics.http_reqs).toEqual({ type: 'counter', contains: 'default', values: { count: 2, rate: 0.2 } });
    expect(data.metrics.vus).toEqual({ type: 'gauge', contains: 'default', values: { value: 3, min: 3, max: 3 } });
  });

  it('gives trends the summary’s trend stats, and holds an observed sub-metric under its full name', () => {
    const registry = new Registry();
    for (const value of [10, 20, 30, 40]) registry.add('http_req_duration', value, { expected_response: 'true' });
    registry.add('http_req_duration', 1000, { expected_response: 'false' });
    const data = buildSummaryData(input(registry, { trendStats: ['avg', 'max', 'p(50)'] }));
    expect(data.metrics.http_req_duration).toEqual({
      type: 'trend',
      contains: 'time',
      values: { avg: 220, max: 1000, 'p(50)': 30 },
    });
    expect(data.metrics['http_req_duration{expected_response:true}']).toEqual({
      type: 'trend',
      contains: 'time',
      values: { avg: 25, max: 40, 'p(50)': 25 },
    });
  });

  it('holds a metric with thresholds even without samples, with each expression’s ok', () => {
    const registry = new Registry();
    const bound = bindThresholds(
      parseThresholds({
        http_req_duration: ['p(95)<200', 'avg<10'],
        'http_req_duration{scenario:a}': ['max<100'],
        http_req_failed: ['rate<0.01'],
      }),
      registry,
    );
    registry.add('http_req_duration', 50, { scenario: 'b' });
    registry.add('http_req_duration', 150, { scenario: 'b' });
    const data = buildSummaryData(input(registry, { outcomes: evaluateThresholds(bound, 10_000) }));

    expect(data.metrics.http_req_duration.thresholds).toEqual({ 'p(95)<200': { ok: true }, 'avg<10': { ok: false } });
    // No samples, but thresholds: present, with zero values.
    expect(data.metrics['http_req_duration{scenario:a}']).toEqual({
      type: 'trend',
      contains: 'time',
      values: { avg: 0, min: 0, med: 0, max: 0, 'p(90)': 0, 'p(95)': 0 },
      thresholds: { 'max<100': { ok: true } },
    });
    expect(data.metrics.http_req_failed).toEqual({
      type: 'rate',
      contains: 'default',
      values: { rate: 0, passes: 0, fails: 0 },
      thresholds: { 'rate<0.01': { ok: true } },
    });
    expect(data.metrics.vus).toBeUndefined();
    expect(data.metrics.http_reqs).toBeUndefined();
  });

  it('leaves thresholds out of metrics that have none', () => {
    const registry = new Registry();
    registry.add('iterations', 1, {});
    expect(buildSummaryData(input(registry)).metrics.iterations).not.toHaveProperty('thresholds');
  });

  it('carries the root group, the options, the state and the setup data', () => {
    const registry = new Registry();
    const groups = new GroupTree();
    groups.check('::a', 'ok', true);
    const data = buildSummaryData(
      input(registry, { groups, summaryTimeUnit: 'ms', noColor: true, durationMs: 1234, setupData: { token: 'x' } }),
    );
    expect(data.root_group).toBe(groups.root);
    expect(data.options).toEqual({
      summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'],
      summaryTimeUnit: 'ms',
      noColor: true,
    });
    expect(data.state).toEqual({ isStdOutTTY: false, isStdErrTTY: true, testRunDurationMs: 1234 });
    expect(data.setup_data).toEqual({ token: 'x' });
  });

  it('writes an unset summaryTimeUnit as "" and leaves out undefined setup data', () => {
    const data = buildSummaryData(input(new Registry()));
    expect(data.options.summaryTimeUnit).toBe('');
    expect(data).not.toHaveProperty('setup_data');
  });
});

describe('summaryExport', () => {
  function exported() {
    const registry = new Registry();
    const bound = bindThresholds(
      parseThresholds({ http_req_duration: ['p(95)<200', 'avg<10'], checks: ['rate>0.9'] }),
      registry,
    );
    registry.add('http_req_duration', 100, {});
    registry.add('http_req_duration', 120, {});
    registry.add('checks', 1, {});
    registry.add('checks', 1, {});
    registry.add('checks', 1, {});
    registry.add('checks', 0, {});
    registry.add('http_reqs', 2, {});
    const groups = new GroupTree();
    groups.check('', 'status is 200', true);
    groups.check('::login', 'has token', false);
    groups.group('::login::nested');
    const data = buildSummaryData(input(registry, { groups, outcomes: evaluateThresholds(bound, 10_000) }));
    return summaryExport(data) as { metrics: Record<string, Record<string, unknown>>; root_group: ExportedGroup };
  }

  it('writes a rate as passes, fails and value', () => {
    expect(exported().metrics.checks).toEqual({ passes: 3, fails: 1, value: 0.75, thresholds: { 'rate>0.9': true } });
  });

  it('writes a threshold as true when it was crossed, as k6’s --summary-export does', () => {
    expect(exported().metrics.http_req_duration.thresholds).toEqual({ 'p(95)<200': false, 'avg<10': true });
  });

  it('keeps other metrics’ values flat', () => {
    const { metrics } = exported();
    expect(metrics.http_reqs).toEqual({ count: 2, rate: 0.2 });
    expect(metrics.http_req_duration).toMatchObject({ avg: 110, min: 100, max: 120, med: 110 });
  });

  it('keys groups and checks by name', () => {
    const { root_group: root } = exported();
    expect(root).toMatchObject({ name: '', path: '', id: MD5_EMPTY });
    expect(Object.keys(root.checks)).toEqual(['status is 200']);
    expect(root.checks['status is 200']).toMatchObject({ path: '::status is 200', passes: 1, fails: 0 });
    expect(Object.keys(root.groups)).toEqual(['login']);
    expect(root.groups.login).toMatchObject({ name: 'login', path: '::login' });
    expect(root.groups.login.checks['has token']).toMatchObject({ passes: 0, fails: 1 });
    expect(root.groups.login.groups.nested).toMatchObject({
      name: 'nested',
      path: '::login::nested',
      groups: {},
      checks: {},
    });
  });
});
