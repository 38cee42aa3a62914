/**
 * The end-of-test data: what `handleSummary(data)` receives (k6 docs, "Custom
 * summary": metrics with type, contains, values and thresholds; root_group with
 * groups and checks; options; state) and the older flat format that
 * `--summary-export` writes.
 */
import { createHash } from 'node:crypto';
import type { Metric, Submetric } from '../metrics/registry';
import { type MetricContains, type MetricType, sinkValues } from '../metrics/sinks';
import type { ThresholdOutcome } from '../thresholds/thresholds';

export interface CheckData {
  name: string;
  path: string;
  id: string;
  passes: number;
  fails: number;
}

export interface GroupData {
  name: string;
  path: string;
  id: string;
  groups: GroupData[];
  checks: CheckData[];
}

export interface MetricData {
  type: MetricType;
  contains: MetricContains;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface SummaryData {
  root_group: GroupData;
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  metrics: Record<string, MetricData>;
  setup_data?: unknown;
}

function id(path: string): string {
  return createHash('md5').update(path).digest('hex');
}

/** The groups entered and the checks made, from the samples' `group` and `check` tags, in the order first seen. */
export class GroupTree {
  readonly root: GroupData = { name: '', path: '', id: id(''), groups: [], checks: [] };
  private readonly groups = new Map<string, GroupData>([['', this.root]]);
  private readonly checks = new Map<string, CheckData>();

  group(path: string): GroupData {
    const existing = this.groups.get(path);
    if (existing !== undefined) return existing;
    const cut = path.lastIndexOf('::');
    const parent = this.group(cut <= 0 ? '' : path.slice(0, cut));
    const created: GroupData = { name: path.slice(cut + 2), path, id: id(path), groups: [], checks: [] };
    parent.groups.push(created);
    this.groups.set(path, created);
    return created;
  }

  check(groupPath: string, name: string, passed: boolean): void {
    const path = `${groupPath}::${name}`;
    let check = this.checks.get(path);
    if (check === undefined) {
      check = { name, path, id: id(path), passes: 0, fails: 0 };
      this.group(groupPath).checks.push(check);
      this.checks.set(path, check);
    }
    if (passed) check.passes++;
    else check.fails++;
  }
}

export interface SummaryInput {
  metrics: Metric[];
  outcomes: ThresholdOutcome[];
  groups: GroupTree;
  trendStats: string[];
  summaryTimeUnit: string | undefined;
  noColor: boolean;
  durationMs: number;
  setupData: unknown;
  isStdOutTTY: boolean;
  isStdErrTTY: boolean;
}

/** The data handed to handleSummary(): the metrics that had samples or thresholds, and their sub-metrics with thresholds. */
export function buildSummaryData(input: SummaryInput): SummaryData {
  const metrics: Record<string, MetricData> = {};
  const thresholdsOf = (name: string): Record<string, { ok: boolean }> | undefined => {
    const outcomes = input.outcomes.filter((o) => o.set.name === name);
    if (outcomes.length === 0) return undefined;
    const out: Record<string, { ok: boolean }> = {};
    for (const outcome of outcomes) out[outcome.threshold.source] = { ok: outcome.ok };
    return out;
  };
  const add = (name: string, source: Metric | Submetric, type: MetricType, contains: MetricContains): void => {
    const thresholds = thresholdsOf(name);
    if (!source.sink.observed && thresholds === undefined) return;
    metrics[name] = { type, contains, values: sinkValues(source.sink, input.trendStats, input.durationMs) };
    if (thresholds !== undefined) metrics[name].thresholds = thresholds;
  };
  for (const metric of input.metrics) {
    add(metric.name, metric, metric.type, metric.contains);
    for (const sub of metric.submetrics) add(sub.name, sub, metric.type, metric.contains);
  }
  const data: SummaryData = {
    root_group: input.groups.root,
    options: {
      summaryTrendStats: input.trendStats,
      summaryTimeUnit: input.summaryTimeUnit ?? '',
      noColor: input.noColor,
    },
    state: { isStdOutTTY: input.isStdOutTTY, isStdErrTTY: input.isStdErrTTY, testRunDurationMs: input.durationMs },
    metrics,
  };
  if (input.setupData !== undefined) data.setup_data = input.setupData;
  return data;
}

interface ExportGroup {
  name: string;
  path: string;
  id: string;
  groups: Record<string, ExportGroup>;
  checks: Record<string, CheckData>;
}

function exportGroup(group: GroupData): ExportGroup {
  return {
    name: group.name,
    path: group.path,
    id: group.id,
    groups: Object.fromEntries(group.groups.map((g) => [g.name, exportGroup(g)])),
    checks: Object.fromEntries(group.checks.map((c) => [c.name, c])),
  };
}

/**
 * `--summary-export`: k6's older format. Metrics are flat (a rate's `value`,
 * `passes`, `fails`); groups and checks are keyed by name; and a threshold's
 * boolean is true when it was crossed, as k6 has always written it.
 */
export function summaryExport(data: SummaryData): Record<string, unknown> {
  const metrics: Record<string, Record<string, unknown>> = {};
  for (const [name, metric] of Object.entries(data.metrics)) {
    const values: Record<string, unknown> =
      metric.type === 'rate'
        ? { passes: metric.values.passes, fails: metric.values.fails, value: metric.values.rate }
        : { ...metric.values };
    if (metric.thresholds !== undefined) {
      values.thresholds = Object.fromEntries(Object.entries(metric.thresholds).map(([expr, { ok }]) => [expr, !ok]));
    }
    metrics[name] = values;
  }
  return { root_group: exportGroup(data.root_group), metrics };
}
