import { chooseSource, parseSince, UsageError } from './cli-support';

describe('parseSince', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
  ])('reads %s', (text, ms) => {
    expect(parseSince(text)).toBe(ms);
  });

  it.each(['', '0m', '15', '1.5h', '-1h', '1w'])('refuses "%s" as a usage error', (text) => {
    expect(() => parseSince(text)).toThrow(UsageError);
  });
});

describe('chooseSource', () => {
  it('reads a file, stdin for - or nothing, or CloudWatch with the default window', () => {
    expect(chooseSource('app.log', {}, '15m')).toEqual({ kind: 'file', path: 'app.log' });
    expect(chooseSource('-', {}, '15m')).toEqual({ kind: 'stdin' });
    expect(chooseSource(undefined, {}, '15m')).toEqual({ kind: 'stdin' });
    expect(chooseSource(undefined, { cloudwatch: 'g', stream: ['s'] }, '15m')).toEqual({
      kind: 'cloudwatch',
      logGroupName: 'g',
      sinceMs: 900_000,
      logStreamNames: ['s'],
    });
  });

  it('refuses a file with --cloudwatch, and CloudWatch options without it', () => {
    expect(() => chooseSource('app.log', { cloudwatch: 'g' }, '15m')).toThrow(UsageError);
    expect(() => chooseSource('app.log', { since: '1h' }, '15m')).toThrow(UsageError);
  });
});
