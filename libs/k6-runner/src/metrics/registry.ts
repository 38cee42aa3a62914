/**
 * Every metric of a run, k6's built-in ones and the script's own, with the
 * sub-metrics that thresholds (and k6's default `expected_response:true`)
 * select by tag: `http_req_duration{scenario:studiers}` aggregates only the
 * samples tagged `scenario=studiers`.
 */
import { type AnySink, type MetricContains, type MetricType, createSink } from './sinks';

export type Tags = Readonly<Record<string, string>>;

/** k6's built-in metrics, with their kind. */
export const BUILTIN_METRICS: Readonly<Record<string, { type: MetricType; contains: MetricContains }>> = {
  vus: { type: 'gauge', contains: 'default' },
  vus_max: { type: 'gauge', contains: 'default' },
  iterations: { type: 'counter', contains: 'default' },
  iteration_duration: { type: 'trend', contains: 'time' },
  dropped_iterations: { type: 'counter', contains: 'default' },
  data_received: { type: 'counter', contains: 'data' },
  data_sent: { type: 'counter', contains: 'data' },
  checks: { type: 'rate', contains: 'default' },
  group_duration: { type: 'trend', contains: 'time' },
  http_reqs: { type: 'counter', contains: 'default' },
  http_req_duration: { type: 'trend', contains: 'time' },
  http_req_blocked: { type: 'trend', contains: 'time' },
  http_req_connecting: { type: 'trend', contains: 'time' },
  http_req_tls_handshaking: { type: 'trend', contains: 'time' },
  http_req_sending: { type: 'trend', contains: 'time' },
  http_req_waiting: { type: 'trend', contains: 'time' },
  http_req_receiving: { type: 'trend', contains: 'time' },
  http_req_failed: { type: 'rate', contains: 'default' },
};

/** A metric name with an optional tag selector, as thresholds name them. */
export interface MetricSelector {
  metric: string;
  /** The selector's tags, in the order written; empty for the metric itself. */
  tags: readonly (readonly [string, string])[];
}

export class SelectorError extends Error {}

/** Parses `name` or `name{tag:value,other:value}` (spaces around parts allowed). */
export function parseSelector(text: string): MetricSelector {
  const match = /^\s*([^{}\s]+)\s*(?:\{([^{}]*)\})?\s*$/.exec(text);
  if (match === null) throw new SelectorError(`"${text}" is not a metric name or name{tag:value}`);
  const [, metric, body] = match;
  if (body === undefined) return { metric, tags: [] };
  const tags: [string, string][] = [];
  for (const part of body.split(',')) {
    const colon = part.indexOf(':');
    if (colon <= 0) throw new SelectorError(`"${text}": "${part.trim()}" is not tag:value`);
    const key = part.slice(0, colon).trim();
    const value = part
      .slice(colon + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .replace(/^'(.*)'$/, '$1');
    if (key === '') throw new SelectorError(`"${text}": a tag without a name`);
    tags.push([key, value]);
  }
  if (tags.length === 0) throw new SelectorError(`"${text}": an empty tag selector`);
  return { metric, tags };
}

/** The canonical name of a selector: `name{a:1,b:2}`. */
export function selectorName(selector: MetricSelector): string {
  if (selector.tags.length === 0) return selector.metric;
  return `${selector.metric}{${selector.tags.map(([k, v]) => `${k}:${v}`).join(',')}}`;
}

export class Submetric {
  readonly sink: AnySink;

  constructor(
    readonly name: string,
    readonly parent: Metric,
    readonly tags: readonly (readonly [string, string])[],
  ) {
    this.sink = createSink(parent.type);
  }

  matches(tags: Tags): boolean {
    for (const [key, value] of this.tags) if (tags[key] !== value) return false;
    return true;
  }
}

export class Metric {
  readonly sink: AnySink;
  readonly submetrics: Submetric[] = [];

  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly contains: MetricContains,
  ) {
    this.sink = createSink(type);
  }

  add(value: number, tags: Tags): void {
    this.sink.add(value);
    for (const sub of this.submetrics) if (sub.matches(tags)) sub.sink.add(value);
  }
}

export class MetricError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export class Registry {
  private readonly metrics = new Map<string, Metric>();

  constructor() {
    for (const [name, { type, contains }] of Object.entries(BUILTIN_METRICS)) {
      this.metrics.set(name, new Metric(name, type, contains));
    }
    this.submetric({ metric: 'http_req_duration', tags: [['expected_response', 'true']] });
  }

  /**
   * A script's metric (`new Trend('name', true)`). Every VU defines it again:
   * the same definition is the same metric; another type under a taken name is an error.
   */
  define(name: string, type: MetricType, contains: MetricContains): Metric {
    const existing = this.metrics.get(name);
    if (existing !== undefined) {
      if (existing.type !== type || existing.contains !== contains) {
        throw new MetricError(
          `metric "${name}" already exists as a ${existing.type}${existing.contains === 'default' ? '' : ` of ${existing.contains}`}; it cannot also be a ${type}${contains === 'default' ? '' : ` of ${contains}`}`,
        );
      }
      return existing;
    }
    if (!NAME.test(name)) {
      throw new MetricError(
        `"${name}" is not a valid metric name: letters, digits and _, starting with a letter or _, at most 128 characters`,
      );
    }
    const metric = new Metric(name, type, contains);
    this.metrics.set(name, metric);
    return metric;
  }

  get(name: string): Metric | undefined {
    return this.metrics.get(name);
  }

  /** The sub-metric for a selector (created once); the metric must exist. */
  submetric(selector: MetricSelector): Submetric {
    const metric = this.metrics.get(selector.metric);
    if (metric === undefined) throw new MetricError(`no metric named "${selector.metric}"`);
    const name = selectorName(selector);
    const existing = metric.submetrics.find((s) => s.name === name);
    if (existing !== undefined) return existing;
    const sub = new Submetric(name, metric, selector.tags);
    metric.submetrics.push(sub);
    return sub;
  }

  add(name: string, value: number, tags: Tags): void {
    const metric = this.metrics.get(name);
    if (metric === undefined) throw new MetricError(`a sample for the unknown metric "${name}"`);
    metric.add(value, tags);
  }

  all(): Metric[] {
    return [...this.metrics.values()];
  }
}
