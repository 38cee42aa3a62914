/**
 * The four kinds of k6 metric and how each aggregates its samples, with the
 * statistics k6 reports for them (k6 docs, "Metrics"): a Counter sums
 * (count, rate), a Gauge keeps the last value (value, min, max), a Rate keeps
 * the share of non-zero samples (rate, passes, fails), and a Trend keeps every
 * sample for its statistics (avg, min, med, max, p(N), count).
 */

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
export type MetricContains = 'default' | 'time' | 'data';

export interface Sink {
  readonly type: MetricType;
  /** Whether any sample arrived. */
  readonly observed: boolean;
  add(value: number): void;
}

export class CounterSink implements Sink {
  readonly type = 'counter';
  count = 0;
  observed = false;

  add(value: number): void {
    this.count += value;
    this.observed = true;
  }

  /** Per second over the test's duration, as k6 reports a counter's rate. */
  rate(durationMs: number): number {
    return durationMs > 0 ? this.count / (durationMs / 1000) : 0;
  }
}

export class GaugeSink implements Sink {
  readonly type = 'gauge';
  value = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  observed = false;

  add(value: number): void {
    this.value = value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.observed = true;
  }
}

export class RateSink implements Sink {
  readonly type = 'rate';
  passes = 0;
  total = 0;

  get observed(): boolean {
    return this.total > 0;
  }

  add(value: number): void {
    if (value !== 0) this.passes += 1;
    this.total += 1;
  }

  get fails(): number {
    return this.total - this.passes;
  }

  get rate(): number {
    return this.total === 0 ? 0 : this.passes / this.total;
  }
}

export class TrendSink implements Sink {
  readonly type = 'trend';
  private values = new Float64Array(1024);
  private sorted = true;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  get observed(): boolean {
    return this.count > 0;
  }

  add(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    if (this.count > 0 && value < this.values[this.count - 1]) this.sorted = false;
    this.values[this.count++] = value;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get avg(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /**
   * The percentile `pct` (0..100), interpolated linearly between the two
   * nearest samples, the way k6 computes p(N) and med.
   */
  percentile(pct: number): number {
    if (this.count === 0) return 0;
    if (!this.sorted) {
      this.values.subarray(0, this.count).sort();
      this.sorted = true;
    }
    if (this.count === 1) return this.values[0];
    const position = (pct / 100) * (this.count - 1);
    const lower = Math.floor(position);
    const upper = Math.min(lower + 1, this.count - 1);
    return this.values[lower] + (this.values[upper] - this.values[lower]) * (position - lower);
  }

  /** One named statistic: avg, min, med, max, count or p(N). */
  stat(name: string): number | undefined {
    switch (name) {
      case 'avg':
        return this.avg;
      case 'min':
        return this.count === 0 ? 0 : this.min;
      case 'max':
        return this.count === 0 ? 0 : this.max;
      case 'med':
        return this.percentile(50);
      case 'count':
        return this.count;
      default: {
        const pct = percentileOf(name);
        return pct === undefined ? undefined : this.percentile(pct);
      }
    }
  }
}

/** The N of a `p(N)` statistic, or undefined when the name is not one. */
export function percentileOf(name: string): number | undefined {
  const match = /^p\(\s*(\d+(?:\.\d+)?)\s*\)$/.exec(name);
  if (match === null) return undefined;
  const pct = Number(match[1]);
  return pct <= 100 ? pct : undefined;
}

export type AnySink = CounterSink | GaugeSink | RateSink | TrendSink;

export function createSink(type: MetricType): AnySink {
  switch (type) {
    case 'counter':
      return new CounterSink();
    case 'gauge':
      return new GaugeSink();
    case 'rate':
      return new RateSink();
    case 'trend':
      return new TrendSink();
  }
}

/**
 * The values k6 puts in the summary for a sink: a trend's `trendStats`, a
 * counter's count and rate, a gauge's value, min and max, a rate's rate,
 * passes and fails.
 */
export function sinkValues(sink: AnySink, trendStats: readonly string[], durationMs: number): Record<string, number> {
  switch (sink.type) {
    case 'counter':
      return { count: sink.count, rate: sink.rate(durationMs) };
    case 'gauge':
      return sink.observed ? { value: sink.value, min: sink.min, max: sink.max } : { value: 0, min: 0, max: 0 };
    case 'rate':
      return { rate: sink.rate, passes: sink.passes, fails: sink.fails };
    case 'trend': {
      const values: Record<string, number> = {};
      for (const stat of trendStats) values[stat] = sink.stat(stat) ?? 0;
      return values;
    }
  }
}
