import { DurationError, formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it('takes a number as milliseconds', () => {
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration(0.5)).toBe(0.5);
  });

  it('reads Go duration strings, one unit or several', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('2h3m4s')).toBe(7_384_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('.5s')).toBe(500);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m500ms')).toBe(60_500);
  });

  it('reads microseconds in each spelling Go accepts, and nanoseconds', () => {
    expect(parseDuration('10us')).toBeCloseTo(0.01, 12);
    expect(parseDuration('10µs')).toBeCloseTo(0.01, 12);
    expect(parseDuration('10μs')).toBeCloseTo(0.01, 12);
    expect(parseDuration('1500ns')).toBeCloseTo(0.0015, 12);
  });

  it('reads k6’s day unit', () => {
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1d12h')).toBe(129_600_000);
  });

  it('ignores spaces around the value', () => {
    expect(parseDuration('  30s ')).toBe(30_000);
  });

  it('reads a unitless number in a string as milliseconds, as k6 does', () => {
    expect(parseDuration('30')).toBe(30);
    expect(parseDuration('1.5')).toBe(1.5);
    expect(parseDuration('0')).toBe(0);
  });

  it.each([
    ['an empty string', ''],
    ['spaces only', '   '],
    ['an unknown unit', '10x'],
    ['a unit without a number', 's'],
    ['spaces between the parts', '1m 30s'],
    ['trailing text', '30s later'],
    ['a number after the units', '1m30'],
    ['a negative duration', '-5s'],
  ])('refuses %s with a DurationError quoting the value', (_label, text) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
    expect(() => parseDuration(text)).toThrow(`got "${text}"`);
  });

  it('refuses negative and non-finite numbers', () => {
    expect(() => parseDuration(-1)).toThrow(DurationError);
    expect(() => parseDuration(-1)).toThrow('must not be negative; got -1');
    expect(() => parseDuration(Number.NaN)).toThrow(DurationError);
    expect(() => parseDuration(Number.POSITIVE_INFINITY)).toThrow(DurationError);
  });

  it('refuses values that are neither numbers nor strings, showing them as JSON', () => {
    expect(() => parseDuration(true)).toThrow(DurationError);
    expect(() => parseDuration(null)).toThrow('got null');
    expect(() => parseDuration({ s: 1 })).toThrow('got {"s":1}');
    expect(() => parseDuration(undefined)).toThrow(DurationError);
  });

  it('names the option in its message', () => {
    expect(() => parseDuration('soon', 'gracefulStop')).toThrow(/^gracefulStop must be a duration/);
    expect(() => parseDuration(-5, 'startTime')).toThrow(/^startTime must not be negative/);
  });
});

describe('formatDuration', () => {
  it('prints minutes and seconds as Go does, keeping a zero seconds part', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(600_000)).toBe('10m0s');
    expect(formatDuration(60_000)).toBe('1m0s');
  });

  it('prints hours with their minutes and seconds', () => {
    expect(formatDuration(3_600_000)).toBe('1h0m0s');
    expect(formatDuration(5_400_000)).toBe('1h30m0s');
    expect(formatDuration(86_400_000)).toBe('24h0m0s');
  });

  it('prints seconds with their fraction', () => {
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(61_500)).toBe('1m1.5s');
  });

  it('prints less than a second in ms, and less than a millisecond in µs', () => {
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(1.5)).toBe('1.5ms');
    expect(formatDuration(0.01)).toBe('10µs');
  });

  it('prints zero as 0s and a negative duration with a minus sign', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-90_000)).toBe('-1m30s');
  });

  it('prints less than a microsecond in ns, as Go does', () => {
    // Go's time.Duration.String(): 500ns is "500ns", not "0.5µs".
    expect(formatDuration(0.0005)).toBe('500ns');
  });

  it('reads back what it prints', () => {
    for (const ms of [500, 1500, 30_000, 90_000, 600_000, 5_400_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
