/**
 * k6 thresholds: `options.thresholds` maps a metric (or a sub-metric such as
 * `http_req_duration{scenario:studiers}`) to expressions `<aggregation>
 * <operator> <value>` given as strings or as `{ threshold, abortOnFail,
 * delayAbortEval }` (k6 docs, "Thresholds"). The aggregations each metric type
 * allows: counter count and rate; gauge value; rate rate; trend avg, min, max,
 * med and p(N).
 */
import { parseDuration } from '../options/duration';
import {
  type Metric,
  type MetricSelector,
  type Registry,
  type Submetric,
  parseSelector,
  selectorName,
} from '../metrics/registry';
import { type AnySink, type MetricType, percentileOf } from '../metrics/sinks';

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export interface ThresholdExpression {
  /** As written, e.g. `p(95)<500`. */
  source: string;
  /** `avg`, `min`, `max`, `med`, `count`, `rate`, `value` or `p(N)`. */
  aggregation: string;
  operator: Operator;
  value: number;
}

export interface Threshold extends ThresholdExpression {
  abortOnFail: boolean;
  delayAbortEvalMs: number;
}

export class ThresholdError extends Error {}

const EXPRESSION =
  /^\s*(avg|min|max|med|count|rate|value|p\(\s*\d+(?:\.\d+)?\s*\))\s*(<=|>=|===|==|!=|<|>)\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;

export function parseExpression(source: string): ThresholdExpression {
  const match = EXPRESSION.exec(source);
  if (match === null) {
    throw new ThresholdError(
      `"${source}" is not a threshold expression: <aggregation> <operator> <value>, e.g. "p(95)<500" or "rate<0.01"`,
    );
  }
  const aggregation = match[1].replace(/\s+/g, '');
  if (aggregation.startsWith('p(') && percentileOf(aggregation) === undefined) {
    throw new ThresholdError(`"${source}": a percentile must be between 0 and 100`);
  }
  return { source, aggregation, operator: match[2] as Operator, value: Number(match[3]) };
}

const ALLOWED: Record<MetricType, (aggregation: string) => boolean> = {
  counter: (a) => a === 'count' || a === 'rate',
  gauge: (a) => a === 'value',
  rate: (a) => a === 'rate',
  trend: (a) => ['avg', 'min', 'max', 'med'].includes(a) || a.startsWith('p('),
};

const ALLOWED_TEXT: Record<MetricType, string> = {
  counter: 'count, rate',
  gauge: 'value',
  rate: 'rate',
  trend: 'avg, min, max, med, p(N)',
};

/** One threshold key of options.thresholds with its parsed expressions. */
export interface ThresholdSet {
  /** The key as written. */
  key: string;
  selector: MetricSelector;
  thresholds: Threshold[];
}

/** Parses options.thresholds; errors name the key and the expression. */
export function parseThresholds(raw: unknown): ThresholdSet[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ThresholdError('thresholds must be an object of metric name to a list of expressions');
  }
  const sets: ThresholdSet[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    let selector: MetricSelector;
    try {
      selector = parseSelector(key);
    } catch (error) {
      throw new ThresholdError(`invalid threshold key: ${(error as Error).message}`);
    }
    const list = Array.isArray(value) ? value : [value];
    const thresholds = list.map((item): Threshold => {
      if (typeof item === 'string') return { ...parseExpression(item), abortOnFail: false, delayAbortEvalMs: 0 };
      if (
        typeof item === 'object' &&
        item !== null &&
        typeof (item as { threshold?: unknown }).threshold === 'string'
      ) {
        const object = item as { threshold: string; abortOnFail?: unknown; delayAbortEval?: unknown };
        const unknownKeys = Object.keys(object).filter(
          (k) => !['threshold', 'abortOnFail', 'delayAbortEval'].includes(k),
        );
        if (unknownKeys.length > 0) {
          throw new ThresholdError(`threshold on ${key}: unknown field ${unknownKeys.map((k) => `"${k}"`).join(', ')}`);
        }
        if (object.abortOnFail !== undefined && typeof object.abortOnFail !== 'boolean') {
          throw new ThresholdError(`threshold on ${key}: abortOnFail must be true or false`);
        }
        return {
          ...parseExpression(object.threshold),
          abortOnFail: object.abortOnFail === true,
          delayAbortEvalMs:
            object.delayAbortEval === undefined ? 0 : parseDuration(object.delayAbortEval, `delayAbortEval on ${key}`),
        };
      }
      throw new ThresholdError(
        `threshold on ${key}: ${JSON.stringify(item)} is neither an expression string nor { threshold: "..." }`,
      );
    });
    sets.push({ key, selector, thresholds });
  }
  return sets;
}

/** A threshold set tied to the sink it judges. */
export interface BoundThresholds extends ThresholdSet {
  /** The metric or sub-metric whose samples the thresholds judge. */
  target: Metric | Submetric;
  /** `name` or `name{tag:value}`, as the summary names the target. */
  name: string;
  type: MetricType;
}

/**
 * Ties each set to its metric in the registry (creating sub-metrics), after
 * the script's init code defined its custom metrics. An unknown metric or an
 * aggregation its type does not have is an error, as in k6.
 */
export function bindThresholds(sets: readonly ThresholdSet[], registry: Registry): BoundThresholds[] {
  return sets.map((set) => {
    const metric = registry.get(set.selector.metric);
    if (metric === undefined) {
      throw new ThresholdError(
        `invalid threshold defined on ${set.key}: no metric named "${set.selector.metric}" was found (k6's built-in metrics, or one the script creates in its init code)`,
      );
    }
    for (const threshold of set.thresholds) {
      if (!ALLOWED[metric.type](threshold.aggregation)) {
        throw new ThresholdError(
          `invalid threshold defined on ${set.key}: "${threshold.aggregation}" does not apply to a ${metric.type} metric (it has: ${ALLOWED_TEXT[metric.type]})`,
        );
      }
    }
    const target = set.selector.tags.length === 0 ? metric : registry.submetric(set.selector);
    return { ...set, target, name: selectorName(set.selector), type: metric.type };
  });
}

/** The value of an aggregation over a sink; `durationMs` is the run so far (a counter's rate). */
export function aggregate(sink: AnySink, aggregation: string, durationMs: number): number {
  switch (sink.type) {
    case 'counter':
      return aggregation === 'rate' ? sink.rate(durationMs) : sink.count;
    case 'gauge':
      return sink.observed ? sink.value : 0;
    case 'rate':
      return sink.rate;
    case 'trend':
      return sink.stat(aggregation) ?? 0;
  }
}

export function holds(observed: number, operator: Operator, value: number): boolean {
  switch (operator) {
    case '<':
      return observed < value;
    case '<=':
      return observed <= value;
    case '>':
      return observed > value;
    case '>=':
      return observed >= value;
    case '==':
    case '===':
      return observed === value;
    case '!=':
      return observed !== value;
  }
}

export interface ThresholdOutcome {
  set: BoundThresholds;
  threshold: Threshold;
  ok: boolean;
  observed: number;
}

/** Judges every threshold now. */
export function evaluateThresholds(bound: readonly BoundThresholds[], durationMs: number): ThresholdOutcome[] {
  const outcomes: ThresholdOutcome[] = [];
  for (const set of bound) {
    for (const threshold of set.thresholds) {
      const observed = aggregate(set.target.sink, threshold.aggregation, durationMs);
      outcomes.push({ set, threshold, observed, ok: holds(observed, threshold.operator, threshold.value) });
    }
  }
  return outcomes;
}

/**
 * The thresholds that end the test now: crossed, with abortOnFail, and past
 * their delayAbortEval.
 */
export function abortingThresholds(bound: readonly BoundThresholds[], elapsedMs: number): ThresholdOutcome[] {
  const candidates = bound
    .map((set) => ({
      ...set,
      thresholds: set.thresholds.filter((t) => t.abortOnFail && elapsedMs >= t.delayAbortEvalMs),
    }))
    .filter((set) => set.thresholds.length > 0);
  return evaluateThresholds(candidates, elapsedMs).filter((outcome) => !outcome.ok);
}
