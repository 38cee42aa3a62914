import { GroupTree, type MetricData, type SummaryData } from './summary-data';
import { formatBytes, formatTime, observedKey, textSummary } from './text-summary';

const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];

function trend(values: Record<string, number>, thresholds?: Record<string, { ok: boolean }>): MetricData {
  return { type: 'trend', contains: 'time', values, ...(thresholds === undefined ? {} : { thresholds }) };
}

const DURATION_VALUES = { avg: 144.56, min: 100, med: 140, max: 250, 'p(90)': 200, 'p(95)': 220 };

function summaryData(metrics: Record<string, MetricData>, groups = new GroupTree(), summaryTimeUnit = ''): SummaryData {
  return {
    root_group: groups.root,
    options: { summaryTrendStats: TREND_STATS, summaryTimeUnit, noColor: true },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: 10_000 },
    metrics,
  };
}

function lines(text: string): string[] {
  return text.split('\n').map((line) => line.trim());
}

/** The lines after a section's title, up to the next blank line. */
function section(text: string, title: string): string[] {
  const all = lines(text);
  const start = all.indexOf(title);
  if (start < 0) return [];
  const end = all.indexOf('', start);
  return all.slice(start + 1, end < 0 ? undefined : end);
}

describe('formatTime', () => {
  it('picks the unit as k6 does', () => {
    expect(formatTime(0.66396)).toBe('663.96µs');
    expect(formatTime(144.56)).toBe('144.56ms');
    expect(formatTime(1140)).toBe('1.14s');
    expect(formatTime(0)).toBe('0s');
  });

  it('drops trailing zeros', () => {
    expect(formatTime(100)).toBe('100ms');
    expect(formatTime(1500)).toBe('1.5s');
    expect(formatTime(0.5)).toBe('500µs');
  });

  it('prints minutes and hours', () => {
    expect(formatTime(62_000)).toBe('1m2s');
    expect(formatTime(3_723_000)).toBe('1h2m3s');
  });

  it('prints every value in the summaryTimeUnit when one is set', () => {
    expect(formatTime(144.56, 's')).toBe('0.14s');
    expect(formatTime(0.66396, 'ms')).toBe('0.66ms');
    expect(formatTime(12.3456, 'ms')).toBe('12.35ms');
    expect(formatTime(0.00012345, 'us')).toBe('0.12µs');
  });

  it('truncates to two decimals rather than rounding, as k6 does', () => {
    expect(formatTime(144.567)).toBe('144.56ms');
    expect(formatTime(0.663969)).toBe('663.96µs');
    expect(formatTime(1149.9)).toBe('1.14s');
  });

  it('prints whole seconds past a minute, as k6 does', () => {
    expect(formatTime(62_500)).toBe('1m2s');
    expect(formatTime(3_723_900)).toBe('1h2m3s');
  });

  it('keeps two decimals in the summaryTimeUnit, as k6 does', () => {
    expect(formatTime(1000, 's')).toBe('1.00s');
    expect(formatTime(1140, 'ms')).toBe('1140.00ms');
    expect(formatTime(1.5, 'us')).toBe('1500.00µs');
  });

  it('prints less than a microsecond in ns, as k6 does', () => {
    expect(formatTime(0.0005)).toBe('500ns');
  });
});

describe('formatBytes', () => {
  it('prints bytes in SI units, with one decimal below 10', () => {
    expect(formatBytes(718)).toBe('718 B');
    expect(formatBytes(4900)).toBe('4.9 kB');
    expect(formatBytes(519_000)).toBe('519 kB');
    expect(formatBytes(1_300_000)).toBe('1.3 MB');
    expect(formatBytes(2_500_000_000)).toBe('2.5 GB');
    expect(formatBytes(0)).toBe('0 B');
  });

  it('rounds a fraction of a byte', () => {
    expect(formatBytes(71.8)).toBe('72 B');
  });

  it('rounds to one decimal before choosing the decimals, as k6 does', () => {
    expect(formatBytes(9960)).toBe('10 kB');
  });
});

describe('textSummary', () => {
  it('prints the THRESHOLDS block: each metric, then ✓ or ✗ with the expression and the observed value', () => {
    const text = textSummary(
      summaryData({
        http_req_duration: trend(DURATION_VALUES, { 'p(95)<200': { ok: false }, 'avg<200': { ok: true } }),
        http_req_failed: {
          type: 'rate',
          contains: 'default',
          values: { rate: 0.005, passes: 1, fails: 199 },
          thresholds: { 'rate<0.01': { ok: true } },
        },
        http_reqs: {
          type: 'counter',
          contains: 'default',
          values: { count: 200, rate: 20 },
          thresholds: { 'count>=500': { ok: false } },
        },
      }),
      { mode: 'compact', color: false },
    );
    const thresholds = lines(text.slice(text.indexOf('█ THRESHOLDS'), text.indexOf('█ TOTAL RESULTS')));
    expect(thresholds.filter((line) => line !== '')).toEqual([
      '█ THRESHOLDS',
      'http_req_duration',
      "✗ 'p(95)<200' p(95)=220ms",
      "✓ 'avg<200' avg=144.56ms",
      'http_req_failed',
      "✓ 'rate<0.01' rate=0.50%",
      'http_reqs',
      "✗ 'count>=500' count=200",
    ]);
  });

  it('shows a threshold statistic the trend stats leave out from the observed values', () => {
    const text = textSummary(
      summaryData({ http_req_duration: trend(DURATION_VALUES, { 'p(99)<300': { ok: true } }) }),
      {
        mode: 'compact',
        color: false,
        observed: new Map([[observedKey('http_req_duration', 'p(99)<300'), 248.5]]),
      },
    );
    expect(lines(text)).toContain("✓ 'p(99)<300' p(99)=248.5ms");
  });

  it('prints no THRESHOLDS block without thresholds', () => {
    const text = textSummary(summaryData({ http_req_duration: trend(DURATION_VALUES) }), {
      mode: 'compact',
      color: false,
    });
    expect(text).not.toContain('THRESHOLDS');
    expect(text).toContain('█ TOTAL RESULTS');
  });

  it('prints the checks’ totals, each check, and the share of a failing one', () => {
    const groups = new GroupTree();
    groups.check('', 'status is 200', true);
    groups.check('', 'status is 200', true);
    groups.check('::login', 'has token', true);
    groups.check('::login', 'has token', false);
    const text = textSummary(summaryData({}, groups), { mode: 'compact', color: false });
    const all = lines(text);
    expect(all.find((line) => line.startsWith('checks_total'))).toMatch(/^checks_total\.+: 4\s+0\.4\/s$/);
    expect(all.find((line) => line.startsWith('checks_succeeded'))).toMatch(
      /^checks_succeeded\.+: 75\.00% 3 out of 4$/,
    );
    expect(all.find((line) => line.startsWith('checks_failed'))).toMatch(/^checks_failed\.+: 25\.00% 1 out of 4$/);
    const at = all.indexOf('✓ status is 200');
    expect(at).toBeGreaterThan(0);
    expect(all.slice(at, at + 3)).toEqual(['✓ status is 200', '✗ has token', '↳  50% — ✓ 1 / ✗ 1']);
  });

  it('rounds a failing check’s share down', () => {
    const groups = new GroupTree();
    for (let i = 0; i < 2; i++) groups.check('', 'fast', true);
    groups.check('', 'fast', false);
    expect(lines(textSummary(summaryData({}, groups), { mode: 'compact', color: false }))).toContain(
      '↳  66% — ✓ 2 / ✗ 1',
    );
  });

  it('prints no check lines without checks', () => {
    const text = textSummary(
      summaryData({ vus: { type: 'gauge', contains: 'default', values: { value: 1, min: 1, max: 1 } } }),
      {
        mode: 'compact',
        color: false,
      },
    );
    expect(text).not.toContain('checks_total');
    expect(text).not.toContain('↳');
  });

  it('prints the HTTP, EXECUTION and NETWORK sections with their metrics', () => {
    const text = textSummary(
      summaryData({
        http_req_duration: trend(DURATION_VALUES),
        'http_req_duration{expected_response:true}': trend(DURATION_VALUES),
        http_req_failed: { type: 'rate', contains: 'default', values: { rate: 0.25, passes: 1, fails: 3 } },
        http_reqs: { type: 'counter', contains: 'default', values: { count: 4, rate: 0.4 } },
        http_req_blocked: trend({ avg: 1, min: 1, med: 1, max: 1, 'p(90)': 1, 'p(95)': 1 }),
        iteration_duration: trend({ avg: 1140, min: 1000, med: 1140, max: 1280, 'p(90)': 1252, 'p(95)': 1266 }),
        iterations: { type: 'counter', contains: 'default', values: { count: 2, rate: 0.2 } },
        vus: { type: 'gauge', contains: 'default', values: { value: 1, min: 1, max: 2 } },
        vus_max: { type: 'gauge', contains: 'default', values: { value: 2, min: 2, max: 2 } },
        data_received: { type: 'counter', contains: 'data', values: { count: 4900, rate: 490 } },
        data_sent: { type: 'counter', contains: 'data', values: { count: 718, rate: 71.8 } },
      }),
      { mode: 'compact', color: false },
    );

    const http = section(text, 'HTTP');
    expect(http.map((line) => line.split('.')[0])).toEqual([
      'http_req_duration',
      '{ expected_response:true }',
      'http_req_failed',
      'http_reqs',
    ]);
    expect(http[0]).toMatch(/: avg=144\.56ms min=100ms\s+med=140ms max=250ms p\(90\)=200ms p\(95\)=220ms$/);
    expect(http[2]).toMatch(/: 25\.00% 1 out of 4$/);
    expect(http[3]).toMatch(/: 4\s+0\.4\/s$/);

    const execution = section(text, 'EXECUTION');
    expect(execution.map((line) => line.split('.')[0])).toEqual(['iteration_duration', 'iterations', 'vus', 'vus_max']);
    expect(execution[0]).toContain('avg=1.14s');
    expect(execution[2]).toMatch(/: 1\s+min=1\s+max=2$/);

    const network = section(text, 'NETWORK');
    expect(network).toHaveLength(2);
    expect(network[0]).toMatch(/^data_received\.+: 4\.9 kB 490 B\/s$/);
    expect(network[1]).toMatch(/^data_sent\.+: 718 B\s+72 B\/s$/);

    // Compact leaves out the detailed timings.
    expect(text).not.toContain('http_req_blocked');
    expect(text.indexOf('HTTP')).toBeLessThan(text.indexOf('EXECUTION'));
    expect(text.indexOf('EXECUTION')).toBeLessThan(text.indexOf('NETWORK'));
  });

  it('adds the detailed timings in full mode', () => {
    const metrics = {
      http_req_duration: trend(DURATION_VALUES),
      http_req_blocked: trend({ avg: 1, min: 1, med: 1, max: 1, 'p(90)': 1, 'p(95)': 1 }),
      group_duration: trend({ avg: 5, min: 5, med: 5, max: 5, 'p(90)': 5, 'p(95)': 5 }),
      dropped_iterations: {
        type: 'counter',
        contains: 'default',
        values: { count: 3, rate: 0.3 },
      } satisfies MetricData,
    };
    const text = textSummary(summaryData(metrics), { mode: 'full', color: false });
    expect(section(text, 'HTTP').map((line) => line.split('.')[0])).toEqual(['http_req_blocked', 'http_req_duration']);
    expect(section(text, 'EXECUTION').map((line) => line.split('.')[0])).toEqual([
      'dropped_iterations',
      'group_duration',
    ]);
  });

  it('prints the script’s own metrics in CUSTOM, before HTTP', () => {
    const text = textSummary(
      summaryData({
        login_time: trend({ avg: 0.66396, min: 0.5, med: 0.6, max: 0.9, 'p(90)': 0.8, 'p(95)': 0.85 }),
        errors: { type: 'counter', contains: 'default', values: { count: 3, rate: 0.3 } },
        http_reqs: { type: 'counter', contains: 'default', values: { count: 4, rate: 0.4 } },
      }),
      { mode: 'compact', color: false },
    );
    const custom = section(text, 'CUSTOM');
    expect(custom.map((line) => line.split('.')[0])).toEqual(['errors', 'login_time']);
    expect(custom[1]).toContain('avg=663.96µs');
    expect(text.indexOf('CUSTOM')).toBeLessThan(text.indexOf('HTTP'));
  });

  it('prints times in the summaryTimeUnit', () => {
    const text = textSummary(summaryData({ http_req_duration: trend(DURATION_VALUES) }, new GroupTree(), 's'), {
      mode: 'compact',
      color: false,
    });
    expect(section(text, 'HTTP')[0]).toContain('avg=0.14s min=0.10s');
  });

  it('colours the marks only when asked', () => {
    const data = summaryData({
      http_req_duration: trend(DURATION_VALUES, { 'p(95)<200': { ok: false }, 'avg<200': { ok: true } }),
    });
    const coloured = textSummary(data, { mode: 'compact', color: true });
    expect(coloured).toContain("\u001b[31m✗\u001b[0m 'p(95)<200'");
    expect(coloured).toContain("\u001b[32m✓\u001b[0m 'avg<200'");
    expect(textSummary(data, { mode: 'compact', color: false })).not.toContain('\u001b[');
  });

  it('truncates rate percentages rather than rounding, as k6 does', () => {
    const text = textSummary(
      summaryData({
        checks: { type: 'rate', contains: 'default', values: { rate: 24_999 / 25_000, passes: 24_999, fails: 1 } },
        http_req_failed: {
          type: 'rate',
          contains: 'default',
          values: { rate: 24_999 / 25_000, passes: 24_999, fails: 1 },
          thresholds: { 'rate<0.5': { ok: false } },
        },
      }),
      { mode: 'compact', color: false },
    );
    expect(lines(text)).toContain("✗ 'rate<0.5' rate=99.99%");
    expect(section(text, 'HTTP')[0]).toMatch(/: 99\.99% 24999 out of 25000$/);
  });
});
