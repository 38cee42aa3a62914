import { CounterSink, GaugeSink, RateSink, TrendSink, createSink, percentileOf, sinkValues } from './sinks';

function trendOf(values: readonly number[]): TrendSink {
  const sink = new TrendSink();
  for (const value of values) sink.add(value);
  return sink;
}

describe('CounterSink', () => {
  it('sums its samples and is observed once one arrives', () => {
    const sink = new CounterSink();
    expect(sink.observed).toBe(false);
    sink.add(3);
    sink.add(0);
    sink.add(2.5);
    expect(sink.observed).toBe(true);
    expect(sink.count).toBe(5.5);
  });

  it('counts a zero sample as observed', () => {
    const sink = new CounterSink();
    sink.add(0);
    expect(sink.observed).toBe(true);
    expect(sink.count).toBe(0);
  });

  it('reports its rate per second over the given duration', () => {
    const sink = new CounterSink();
    sink.add(50);
    expect(sink.rate(10_000)).toBe(5);
    expect(sink.rate(500)).toBe(100);
    expect(sink.rate(0)).toBe(0);
  });
});

describe('GaugeSink', () => {
  it('keeps the last value with the least and the greatest seen', () => {
    const sink = new GaugeSink();
    expect(sink.observed).toBe(false);
    for (const value of [5, 2, 9, 4]) sink.add(value);
    expect(sink.observed).toBe(true);
    expect(sink.value).toBe(4);
    expect(sink.min).toBe(2);
    expect(sink.max).toBe(9);
  });
});

describe('RateSink', () => {
  it('counts non-zero samples as passes and zero as fails', () => {
    const sink = new RateSink();
    expect(sink.observed).toBe(false);
    expect(sink.rate).toBe(0);
    for (const value of [1, 0, 1, 1, 0, -2, 0.5, 0]) sink.add(value);
    expect(sink.observed).toBe(true);
    expect(sink.passes).toBe(5);
    expect(sink.fails).toBe(3);
    expect(sink.total).toBe(8);
    expect(sink.rate).toBe(5 / 8);
  });
});

describe('TrendSink', () => {
  it('keeps count, sum, avg, min and max', () => {
    const sink = trendOf([4, 1, 7, 2]);
    expect(sink.observed).toBe(true);
    expect(sink.count).toBe(4);
    expect(sink.sum).toBe(14);
    expect(sink.avg).toBe(3.5);
    expect(sink.stat('min')).toBe(1);
    expect(sink.stat('max')).toBe(7);
    expect(sink.stat('count')).toBe(4);
  });

  it('answers 0 for every statistic before any sample', () => {
    const sink = new TrendSink();
    expect(sink.observed).toBe(false);
    for (const stat of ['avg', 'min', 'max', 'med', 'count', 'p(95)']) expect(sink.stat(stat)).toBe(0);
  });

  it('answers the only sample for every percentile of a single sample', () => {
    const sink = trendOf([42]);
    expect(sink.percentile(0)).toBe(42);
    expect(sink.percentile(50)).toBe(42);
    expect(sink.percentile(99)).toBe(42);
  });

  it('interpolates percentiles linearly between the nearest sorted samples', () => {
    // Sorted: 10 20 30 40; p(N) sits at N/100 × 3.
    const sink = trendOf([40, 10, 30, 20]);
    expect(sink.percentile(0)).toBe(10);
    expect(sink.percentile(100)).toBe(40);
    expect(sink.percentile(50)).toBeCloseTo(25, 10); // position 1.5
    expect(sink.percentile(90)).toBeCloseTo(37, 10); // position 2.7
    expect(sink.percentile(95)).toBeCloseTo(38.5, 10); // position 2.85
    expect(sink.stat('med')).toBeCloseTo(25, 10);
  });

  it('lands on a sample when the position is whole', () => {
    const sink = trendOf(Array.from({ length: 101 }, (_, i) => 100 - i)); // 0..100, reversed
    expect(sink.percentile(95)).toBe(95);
    expect(sink.stat('p(99)')).toBe(99);
    expect(sink.stat('med')).toBe(50);
    expect(sink.stat('p(99.9)')).toBeCloseTo(99.9, 10);
  });

  it('sorts numerically, not as text', () => {
    const sink = trendOf([100, 9, 20, 3]);
    expect(sink.percentile(0)).toBe(3);
    expect(sink.percentile(100)).toBe(100);
    expect(sink.stat('med')).toBeCloseTo(14.5, 10); // between 9 and 20
  });

  it('keeps its percentiles right when samples arrive after a percentile was read', () => {
    const sink = trendOf([1, 2, 3]);
    expect(sink.stat('med')).toBe(2);
    sink.add(0);
    sink.add(10);
    // Sorted: 0 1 2 3 10
    expect(sink.stat('med')).toBe(2);
    expect(sink.percentile(100)).toBe(10);
    expect(sink.percentile(0)).toBe(0);
  });

  it('keeps every sample past its initial capacity', () => {
    const sink = trendOf(Array.from({ length: 5000 }, (_, i) => 4999 - i));
    expect(sink.count).toBe(5000);
    expect(sink.percentile(0)).toBe(0);
    expect(sink.percentile(100)).toBe(4999);
    expect(sink.stat('med')).toBeCloseTo(2499.5, 10);
    expect(sink.avg).toBeCloseTo(2499.5, 10);
  });

  it('answers undefined for a statistic it does not have', () => {
    const sink = trendOf([1, 2]);
    expect(sink.stat('rate')).toBeUndefined();
    expect(sink.stat('p(101)')).toBeUndefined();
    expect(sink.stat('p95')).toBeUndefined();
  });
});

describe('percentileOf', () => {
  it('reads N of p(N), with spaces and decimals', () => {
    expect(percentileOf('p(95)')).toBe(95);
    expect(percentileOf('p(99.9)')).toBe(99.9);
    expect(percentileOf('p( 90 )')).toBe(90);
    expect(percentileOf('p(0)')).toBe(0);
    expect(percentileOf('p(100)')).toBe(100);
  });

  it('refuses other names and N over 100', () => {
    expect(percentileOf('p(100.5)')).toBeUndefined();
    expect(percentileOf('p(-1)')).toBeUndefined();
    expect(percentileOf('p()')).toBeUndefined();
    expect(percentileOf('med')).toBeUndefined();
    expect(percentileOf('P(95)')).toBeUndefined();
  });
});

describe('createSink', () => {
  it('makes the sink of each metric type', () => {
    expect(createSink('counter')).toBeInstanceOf(CounterSink);
    expect(createSink('gauge')).toBeInstanceOf(GaugeSink);
    expect(createSink('rate')).toBeInstanceOf(RateSink);
    expect(createSink('trend')).toBeInstanceOf(TrendSink);
  });
});

describe('sinkValues', () => {
  it('gives a counter its count and per-second rate', () => {
    const sink = new CounterSink();
    sink.add(30);
    expect(sinkValues(sink, [], 15_000)).toEqual({ count: 30, rate: 2 });
  });

  it('gives a gauge its value, min and max, and zeros before any sample', () => {
    const sink = new GaugeSink();
    expect(sinkValues(sink, [], 1000)).toEqual({ value: 0, min: 0, max: 0 });
    sink.add(7);
    sink.add(3);
    expect(sinkValues(sink, [], 1000)).toEqual({ value: 3, min: 3, max: 7 });
  });

  it('gives a rate its rate, passes and fails', () => {
    const sink = new RateSink();
    for (const value of [1, 1, 1, 0]) sink.add(value);
    expect(sinkValues(sink, [], 1000)).toEqual({ rate: 0.75, passes: 3, fails: 1 });
  });

  it('gives a trend exactly the requested statistics', () => {
    const sink = trendOf([10, 20, 30, 40]);
    expect(sinkValues(sink, ['avg', 'min', 'med', 'max', 'p(90)', 'count'], 1000)).toEqual({
      avg: 25,
      min: 10,
      med: 25,
      max: 40,
      'p(90)': expect.closeTo(37, 10),
      count: 4,
    });
    expect(Object.keys(sinkValues(sink, ['p(95)'], 1000))).toEqual(['p(95)']);
  });
});
