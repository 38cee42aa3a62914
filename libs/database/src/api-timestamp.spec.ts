import { API_TIMESTAMP_PATTERN, apiTimestampFromSql, formatApiTimestamp } from './api-timestamp';

describe('formatApiTimestamp', () => {
  it.each([
    ['2023-12-04T14:00:00.000Z', '2023-12-04T14:00:00'],
    ['2023-12-04T14:00:00.500Z', '2023-12-04T14:00:00.500000'],
    ['2024-02-29T23:59:59.001Z', '2024-02-29T23:59:59.001000'],
    ['2023-12-04T16:00:00.000+02:00', '2023-12-04T14:00:00'],
  ])('%s → %s', (input, expected) => {
    const written = formatApiTimestamp(new Date(input));
    expect(written).toBe(expected);
    expect(written).toMatch(new RegExp(API_TIMESTAMP_PATTERN));
  });
});

describe('apiTimestampFromSql', () => {
  it.each([
    ['2023-12-04 14:00:00+00', '2023-12-04T14:00:00'],
    ['2023-12-04 14:00:00.5+00', '2023-12-04T14:00:00.500000'],
    ['2023-12-04 14:00:00.000001+00', '2023-12-04T14:00:00.000001'],
    ['0001-01-01 00:00:00.12345+00', '0001-01-01T00:00:00.123450'],
  ])('%s → %s', (input, expected) => {
    expect(apiTimestampFromSql(input)).toBe(expected);
    expect(expected).toMatch(new RegExp(API_TIMESTAMP_PATTERN));
  });

  it.each(['Mon Dec 04 14:00:00.5 2023 UTC', '12/04/2023 14:00:00.5 UTC', '2023-12-04T14:00'])(
    'refuses %s, the text of another DateStyle, by naming the setting',
    (input) => {
      expect(() => apiTimestampFromSql(input)).toThrow('DateStyle must be ISO');
    },
  );

  it.each(['2023-12-04 15:00:00+01', '2023-12-04 09:00:00-05', '1890-01-01 00:00:00+09:18:59', '2023-12-04 14:00:00'])(
    'refuses %s, a timestamp not written in UTC, by naming the setting',
    (input) => {
      expect(() => apiTimestampFromSql(input)).toThrow("the session's TimeZone must be UTC");
    },
  );
});
