/**
 * k6's end-of-test summary as text, in the layout of k6 1.x's default
 * ("compact") mode: thresholds, then the checks, then the metrics by
 * category; "full" adds every http_req_* timing, group_duration and
 * dropped_iterations.
 */
import type { CheckData, GroupData, MetricData, SummaryData } from './summary-data';

export type SummaryMode = 'compact' | 'full';

/** `digits` decimals, cut (not rounded, as k6's summary cuts them), without trailing zeros. */
function trimFixed(value: number, digits: number): string {
  const scale = 10 ** digits;
  return (Math.trunc(value * scale + (value >= 0 ? 1e-9 : -1e-9)) / scale).toFixed(digits).replace(/\.?0+$/, '');
}

/** A time in ms as k6 shows it: `500ns`, `663.96µs`, `144.56ms`, `1.14s`, `1m2s`; or in the summaryTimeUnit (2 decimals). */
export function formatTime(ms: number, unit?: string): string {
  if (unit === 's') return `${(ms / 1000).toFixed(2)}s`;
  if (unit === 'ms') return `${ms.toFixed(2)}ms`;
  if (unit === 'us') return `${(ms * 1000).toFixed(2)}µs`;
  if (ms === 0) return '0s';
  if (ms < 0.001) return `${Math.trunc(ms * 1e6)}ns`;
  if (ms < 1) return `${trimFixed(ms * 1000, 2)}µs`;
  if (ms < 1000) return `${trimFixed(ms, 2)}ms`;
  if (ms < 60_000) return `${trimFixed(ms / 1000, 2)}s`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = `${Math.trunc((ms % 60_000) / 1000)}s`;
  return hours > 0 ? `${hours}h${minutes}m${seconds}` : `${minutes}m${seconds}`;
}

/** Bytes in SI units, one decimal below 10: `718 B`, `4.9 kB`, `1.3 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const rounded = Math.round(value * 10) / 10;
  return `${rounded < 10 ? rounded.toFixed(1) : rounded.toFixed(0)} ${units[unit]}`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : trimFixed(value, 6);
}

function formatStat(metric: MetricData, value: number, unit?: string): string {
  if (metric.contains === 'time') return formatTime(value, unit);
  if (metric.contains === 'data') return formatBytes(value);
  return formatNumber(value);
}

/** A rate as a percentage cut to 2 decimals: 24,999 of 25,000 is 99.99%, never a rounded 100.00%. */
function percent(rate: number): string {
  return `${(Math.trunc(rate * 10_000) / 100).toFixed(2)}%`;
}

/** The cells of a metric's line after its name. */
function cells(metric: MetricData, trendStats: string[], unit?: string): string[] {
  const v = metric.values;
  switch (metric.type) {
    case 'trend':
      return trendStats.map((stat) => `${stat}=${formatStat(metric, v[stat] ?? 0, unit)}`);
    case 'counter':
      if (metric.contains === 'data') return [formatBytes(v.count ?? 0), `${formatBytes(v.rate ?? 0)}/s`];
      return [formatNumber(v.count ?? 0), `${trimFixed(v.rate ?? 0, 6)}/s`];
    case 'gauge':
      return [
        formatStat(metric, v.value ?? 0, unit),
        `min=${formatStat(metric, v.min ?? 0, unit)}`,
        `max=${formatStat(metric, v.max ?? 0, unit)}`,
      ];
    case 'rate': {
      const passes = v.passes ?? 0;
      const total = passes + (v.fails ?? 0);
      return [percent(v.rate ?? 0), `${passes} out of ${total}`];
    }
  }
}

interface Line {
  label: string;
  cells: string[];
}

function renderSection(title: string | undefined, lines: Line[], indent: string, labelWidth: number): string[] {
  if (lines.length === 0) return [];
  // Columns line up among lines of the same shape (the trends; the counters, rates and gauges).
  const widths = new Map<number, number[]>();
  for (const line of lines) {
    const shape = line.cells.length > 3 ? 0 : 1;
    const row = widths.get(shape) ?? [];
    line.cells.forEach((cell, i) => (row[i] = Math.max(row[i] ?? 0, [...cell].length)));
    widths.set(shape, row);
  }
  const out = title === undefined ? [] : [`${indent}${title}`];
  for (const line of lines) {
    const row = widths.get(line.cells.length > 3 ? 0 : 1) ?? [];
    const padded = line.cells.map((cell, i) =>
      i === line.cells.length - 1 ? cell : cell + ' '.repeat(row[i] - [...cell].length),
    );
    out.push(
      `${indent}${line.label}${'.'.repeat(Math.max(3, labelWidth - [...line.label].length))}: ${padded.join(' ')}`,
    );
  }
  out.push('');
  return out;
}

const HTTP_COMPACT = ['http_req_duration', 'http_req_failed', 'http_reqs'];
const HTTP_FULL = [
  'http_req_blocked',
  'http_req_connecting',
  'http_req_duration',
  'http_req_failed',
  'http_req_receiving',
  'http_req_sending',
  'http_req_tls_handshaking',
  'http_req_waiting',
  'http_reqs',
];
const EXECUTION_COMPACT = ['iteration_duration', 'iterations', 'vus', 'vus_max'];
const EXECUTION_FULL = ['dropped_iterations', 'group_duration', 'iteration_duration', 'iterations', 'vus', 'vus_max'];
const NETWORK = ['data_received', 'data_sent'];
const BUILT_IN = new Set([...HTTP_FULL, ...EXECUTION_FULL, ...NETWORK, 'checks']);

function allChecks(group: GroupData): CheckData[] {
  return [...group.checks, ...group.groups.flatMap(allChecks)];
}

export interface TextSummaryOptions {
  mode: SummaryMode;
  color: boolean;
  /**
   * The value each threshold judged, by metric name and expression, for
   * statistics the summary's trend stats leave out (a p(99) threshold).
   */
  observed?: Map<string, number>;
}

/** The key of `observed` for a threshold. */
export function observedKey(metric: string, expression: string): string {
  return `${metric}\u0000${expression}`;
}

export function textSummary(data: SummaryData, options: TextSummaryOptions): string {
  const paint = (code: number, text: string): string => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const ok = paint(32, '✓');
  const bad = paint(31, '✗');
  const unit = data.options.summaryTimeUnit === '' ? undefined : data.options.summaryTimeUnit;
  const trendStats = data.options.summaryTrendStats;
  const out: string[] = [''];

  const withThresholds = Object.entries(data.metrics).filter(([, m]) => m.thresholds !== undefined);
  if (withThresholds.length > 0) {
    out.push('  █ THRESHOLDS', '');
    for (const [name, metric] of withThresholds.sort(([a], [b]) => a.localeCompare(b))) {
      out.push(`    ${name}`);
      for (const [expression, { ok: held }] of Object.entries(metric.thresholds ?? {})) {
        const stat = /^\s*([a-z]+(?:\(\s*[\d.]+\s*\))?)/.exec(expression)?.[1].replace(/\s+/g, '') ?? '';
        const value = metric.values[stat] ?? options.observed?.get(observedKey(name, expression));
        const shown =
          value === undefined
            ? ''
            : ` ${stat}=${metric.type === 'rate' ? percent(value) : formatStat(metric, value, unit)}`;
        out.push(`    ${held ? ok : bad} '${expression}'${shown}`);
      }
      out.push('');
    }
    out.push('');
  }

  out.push('  █ TOTAL RESULTS', '');
  const names = Object.keys(data.metrics);
  const labelWidth =
    Math.max(...names.map((n) => (n.includes('{') ? n.length - n.indexOf('{') + 4 : n.length)), 16) + 3;

  const checks = allChecks(data.root_group);
  if (checks.length > 0) {
    const passes = checks.reduce((n, c) => n + c.passes, 0);
    const fails = checks.reduce((n, c) => n + c.fails, 0);
    const total = passes + fails;
    const rate = total === 0 ? 0 : passes / total;
    const seconds = data.state.testRunDurationMs / 1000;
    out.push(
      ...renderSection(
        undefined,
        [
          { label: 'checks_total', cells: [String(total), `${trimFixed(seconds > 0 ? total / seconds : 0, 6)}/s`] },
          { label: 'checks_succeeded', cells: [percent(rate), `${passes} out of ${total}`] },
          { label: 'checks_failed', cells: [percent(total === 0 ? 0 : fails / total), `${fails} out of ${total}`] },
        ],
        '    ',
        labelWidth,
      ),
    );
    for (const check of checks) {
      out.push(`    ${check.fails === 0 ? ok : bad} ${check.name}`);
      if (check.fails > 0) {
        const share = Math.floor((check.passes / (check.passes + check.fails)) * 100);
        out.push(`      ↳  ${share}% — ${ok} ${check.passes} / ${bad} ${check.fails}`);
      }
    }
    out.push('');
  }

  const section = (title: string, wanted: (name: string) => boolean): void => {
    const lines: Line[] = [];
    for (const base of names.filter((n) => !n.includes('{') && wanted(n)).sort()) {
      lines.push({ label: base, cells: cells(data.metrics[base], trendStats, unit) });
      for (const sub of names.filter((n) => n.startsWith(`${base}{`)).sort()) {
        const selector = sub.slice(base.length + 1, -1).replace(/,/g, ', ');
        lines.push({ label: `  { ${selector} }`, cells: cells(data.metrics[sub], trendStats, unit) });
      }
    }
    out.push(...renderSection(title, lines, '    ', labelWidth));
  };

  section('CUSTOM', (n) => !BUILT_IN.has(n));
  section('HTTP', (n) => (options.mode === 'full' ? HTTP_FULL : HTTP_COMPACT).includes(n));
  section('EXECUTION', (n) => (options.mode === 'full' ? EXECUTION_FULL : EXECUTION_COMPACT).includes(n));
  section('NETWORK', (n) => NETWORK.includes(n));
  out.push('');
  return out.join('\n');
}
