/**
 * The end-of-test summary of every scenario, written here so that it works
 * offline and type-checks (no remote jslib import).
 *
 *   export const handleSummary = createHandleSummary('smoke');
 *
 * writes, in the results directory:
 *   <scenario>.json        the raw summary data k6 hands to handleSummary
 *   <scenario>.junit.xml   JUnit XML: one testcase per threshold, a <failure> for each crossed one
 * and prints a readable summary on stdout (instead of k6's own).
 *
 * The results directory is RESULTS_DIR when set (relative to the directory
 * k6 runs in), else k6/results beside these scripts, found from this module's
 * own location, so it is the same whether k6 runs from the repository root or
 * from inside k6/ (as in docker compose, where it is /k6/results).
 * k6 does not create directories: the directory must exist (`npm run loadtest`
 * creates it; otherwise `mkdir -p k6/results`). If it does not, k6 logs
 * "failed to handle the end-of-test summary" but still prints the text summary.
 */
import { envString } from './config.ts';

// ---------------------------------------------------------------------------
// The data k6 passes to handleSummary (its "legacy" summary object)

export interface SummaryMetric {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains: 'default' | 'time' | 'data';
  values: Record<string, number>;
  /** Each threshold expression of this metric, and whether it held. */
  thresholds?: Record<string, { ok: boolean }>;
}

export interface SummaryCheck {
  name: string;
  path: string;
  id: string;
  passes: number;
  fails: number;
}

export interface SummaryGroup {
  name: string;
  path: string;
  id: string;
  groups: SummaryGroup[] | Record<string, SummaryGroup>;
  checks: SummaryCheck[] | Record<string, SummaryCheck>;
}

export interface SummaryData {
  metrics: Record<string, SummaryMetric>;
  root_group: SummaryGroup;
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  setup_data?: unknown;
}

/** What handleSummary returns: file path (or stdout/stderr) to content. */
export type SummaryOutput = Record<string, string>;

// ---------------------------------------------------------------------------
// Where the results go

function defaultResultsDir(): string {
  try {
    // k6 >= 0.53: resolves relative to this file, like an import would.
    const url = import.meta.resolve('../results');
    if (url.startsWith('file://')) {
      const path = decodeURIComponent(url.slice('file://'.length));
      // file:///C:/... on Windows
      return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path;
    }
  } catch {
    // fall through
  }
  return 'k6/results';
}

/** RESULTS_DIR, or k6/results beside the scripts; without a trailing slash. */
export function resultsDir(): string {
  const dir = envString('RESULTS_DIR') ?? defaultResultsDir();
  return dir.length > 1 ? dir.replace(/[/\\]+$/, '') : dir;
}

// ---------------------------------------------------------------------------
// The factory

/**
 * A handleSummary for `scenario` (the file name stem of the results). Export
 * its result as `handleSummary` from the script.
 */
export function createHandleSummary(scenario: string): (data: SummaryData) => SummaryOutput {
  return (data: SummaryData): SummaryOutput => {
    const dir = resultsDir();
    const jsonPath = `${dir}/${scenario}.json`;
    const junitPath = `${dir}/${scenario}.junit.xml`;
    return {
      [jsonPath]: JSON.stringify(data, null, 2),
      [junitPath]: junitXml(scenario, data),
      stdout: textSummary(scenario, data, [jsonPath, junitPath]),
    };
  };
}

// ---------------------------------------------------------------------------
// Thresholds

export interface ThresholdResult {
  metric: string;
  expression: string;
  ok: boolean;
  /** The statistic the expression tests, as observed, e.g. `p(95)=812.31ms`. */
  observed: string;
}

/** Every threshold of the run, in metric order. */
export function thresholdResults(data: SummaryData): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const metric of Object.keys(data.metrics).sort()) {
    const { thresholds } = data.metrics[metric];
    if (thresholds === undefined) continue;
    for (const expression of Object.keys(thresholds)) {
      results.push({
        metric,
        expression,
        ok: thresholds[expression].ok,
        observed: observedValue(data.metrics[metric], expression),
      });
    }
  }
  return results;
}

/** The observed value of the statistic on the left of a threshold expression. */
function observedValue(metric: SummaryMetric, expression: string): string {
  const match = /^\s*([a-z]+(?:\(\s*[\d.]+\s*\))?)/.exec(expression);
  if (match === null) return '';
  const stat = match[1].replace(/\s+/g, '');
  const value = metric.values[stat];
  if (value === undefined) return `${stat}=n/a`;
  return `${stat}=${formatValue(metric, stat, value)}`;
}

// ---------------------------------------------------------------------------
// JUnit XML

/** Drops the characters XML 1.0 does not allow (control characters, U+FFFE, U+FFFF). */
function xmlCharacters(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x09 || code === 0x0a || code === 0x0d || (code >= 0x20 && code !== 0xfffe && code !== 0xffff)) {
      out += text[i];
    }
  }
  return out;
}

function xmlEscape(text: string): string {
  return xmlCharacters(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** One testsuite for the scenario, one testcase per threshold. */
export function junitXml(scenario: string, data: SummaryData): string {
  const results = thresholdResults(data);
  const failures = results.filter((r) => !r.ok).length;
  const seconds = (data.state.testRunDurationMs / 1000).toFixed(3);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(`k6 ${scenario}`)}" tests="${results.length}" failures="${failures}" time="${seconds}">`,
    `  <testsuite name="${xmlEscape(scenario)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${seconds}">`,
  ];
  for (const r of results) {
    const open = `    <testcase classname="${xmlEscape(`${scenario}.${r.metric}`)}" name="${xmlEscape(`${r.metric}: ${r.expression}`)}" time="0"`;
    if (r.ok) {
      lines.push(`${open} />`);
    } else {
      const message = `threshold ${r.expression} on ${r.metric} was crossed (${r.observed})`;
      lines.push(`${open}>`);
      lines.push(`      <failure type="threshold" message="${xmlEscape(message)}">${xmlEscape(message)}</failure>`);
      lines.push('    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------
// The text summary

function asArray<T>(items: T[] | Record<string, T> | undefined): T[] {
  if (items === undefined) return [];
  return Array.isArray(items) ? items : Object.values(items);
}

/** Every check of every group, with its group's path before its name. */
export function allChecks(group: SummaryGroup, prefix = ''): { name: string; passes: number; fails: number }[] {
  const here = asArray(group.checks).map((c) => ({ name: `${prefix}${c.name}`, passes: c.passes, fails: c.fails }));
  const below = asArray(group.groups).flatMap((g) => allChecks(g, `${prefix}${g.name} › `));
  return [...here, ...below];
}

function formatTime(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(0)}µs`;
  if (ms < 1000) return `${ms.toFixed(2)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${((ms % 60_000) / 1000).toFixed(1)}s`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes.toFixed(0)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function formatValue(metric: SummaryMetric, stat: string, value: number): string {
  if (metric.type === 'rate' && stat === 'rate') return `${(value * 100).toFixed(2)}%`;
  if (stat === 'rate') return metric.contains === 'data' ? `${formatBytes(value)}/s` : `${value.toFixed(2)}/s`;
  if (metric.contains === 'time') return formatTime(value);
  if (metric.contains === 'data') return formatBytes(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function describeMetric(metric: SummaryMetric): string {
  const v = metric.values;
  switch (metric.type) {
    case 'trend':
      return Object.keys(v)
        .map((stat) => `${stat}=${formatValue(metric, stat, v[stat])}`)
        .join(' ');
    case 'rate':
      return `${formatValue(metric, 'rate', v.rate ?? 0)} (${v.passes ?? 0} of ${(v.passes ?? 0) + (v.fails ?? 0)})`;
    case 'counter':
      return `${formatValue(metric, 'count', v.count ?? 0)} (${formatValue(metric, 'rate', v.rate ?? 0)})`;
    case 'gauge':
      return `${formatValue(metric, 'value', v.value ?? 0)} (min ${v.min ?? 0}, max ${v.max ?? 0})`;
  }
}

/** The readable summary printed at the end of the run. */
export function textSummary(scenario: string, data: SummaryData, files: string[] = []): string {
  const color = data.state.isStdOutTTY && !data.options.noColor;
  const paint = (code: number, text: string): string => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const pass = paint(32, '✓');
  const fail = paint(31, '✗');
  const out: string[] = [];

  const thresholds = thresholdResults(data);
  const crossed = thresholds.filter((t) => !t.ok).length;
  let verdict = 'no thresholds';
  if (thresholds.length > 0) {
    verdict =
      crossed === 0
        ? paint(32, `all ${thresholds.length} thresholds held`)
        : paint(31, `${crossed} of ${thresholds.length} thresholds crossed`);
  }
  out.push('', `█ ${scenario}: ${formatTime(data.state.testRunDurationMs)}, ${verdict}`);

  if (thresholds.length > 0) {
    out.push('', '  THRESHOLDS');
    for (const t of thresholds) {
      out.push(`    ${t.ok ? pass : fail} ${t.metric}  '${t.expression}'  ${t.observed}`);
    }
  }

  const checks = allChecks(data.root_group);
  if (checks.length > 0) {
    const passes = checks.reduce((n, c) => n + c.passes, 0);
    const fails = checks.reduce((n, c) => n + c.fails, 0);
    out.push('', `  CHECKS  ${passes} passed, ${fails} failed`);
    for (const c of checks) {
      const total = c.passes + c.fails;
      const percent = total === 0 ? 0 : (c.passes / total) * 100;
      const detail = c.fails === 0 ? '' : `  ${percent.toFixed(2)}% (${c.passes} of ${total}; ${c.fails} failed)`;
      out.push(`    ${c.fails === 0 ? pass : fail} ${c.name}${detail}`);
    }
  }

  const shown = [
    'http_reqs',
    'http_req_failed',
    'http_req_duration',
    'iterations',
    'iteration_duration',
    'vus_max',
    'data_received',
    'data_sent',
  ];
  const names = Object.keys(data.metrics);
  const lines: string[] = [];
  for (const base of shown) {
    for (const name of names.filter((n) => n === base || n.startsWith(`${base}{`)).sort()) {
      const label = name === base ? name : `  ${name.slice(base.length)}`;
      lines.push(`    ${label.padEnd(44, '.')} ${describeMetric(data.metrics[name])}`);
    }
  }
  // Custom metrics (k6's own are left to the JSON file).
  const builtIn = /^(http_req_|checks|vus|group_duration|iteration|data_|dropped_iterations)/;
  const custom = names.filter((n) => !builtIn.test(n) && !shown.some((b) => n === b || n.startsWith(`${b}{`))).sort();
  for (const name of custom) {
    lines.push(`    ${name.padEnd(44, '.')} ${describeMetric(data.metrics[name])}`);
  }
  if (lines.length > 0) out.push('', '  METRICS', ...lines);

  if (files.length > 0) out.push('', `  Results: ${files.join(', ')}`);
  out.push('', '');
  return out.join('\n');
}
