import { ConfigError } from '@app/config';
import { loadLoggingConfig } from './logging.config';

describe('loadLoggingConfig', () => {
  it('defaults to info, no start lines, SQL lines without parameter values, 200 ms slow queries, no CloudWatch, metrics every 10 s', () => {
    expect(loadLoggingConfig({})).toEqual({
      level: 'info',
      requestStart: false,
      sql: { enabled: true, parameters: false, slowQueryMs: 200 },
      cloudWatch: undefined,
      version: undefined,
      metricsIntervalMs: 10_000,
    });
  });

  it('reads every variable', () => {
    expect(
      loadLoggingConfig({
        LOG_LEVEL: 'debug',
        LOG_REQUEST_START: 'true',
        LOG_SQL: 'false',
        LOG_SQL_PARAMETERS: 'true',
        SLOW_QUERY_MS: '50',
        CLOUDWATCH_LOG_GROUP: 'taskoverflow',
        CLOUDWATCH_LOG_STREAM: 'task-1',
        SERVICE_VERSION: 'abc123',
        LOG_METRICS_INTERVAL_MS: '0',
      }),
    ).toEqual({
      level: 'debug',
      requestStart: true,
      sql: { enabled: false, parameters: true, slowQueryMs: 50 },
      cloudWatch: { logGroupName: 'taskoverflow', logStreamName: 'task-1' },
      version: 'abc123',
      metricsIntervalMs: 0,
    });
  });

  it.each([
    ['LOG_LEVEL', 'verbose'],
    ['LOG_SQL', 'off'],
    ['LOG_REQUEST_START', 'yes'],
    ['SLOW_QUERY_MS', 'fast'],
    ['LOG_METRICS_INTERVAL_MS', '-1'],
  ])('rejects %s=%s, naming it', (name, value) => {
    expect(() => loadLoggingConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadLoggingConfig({ [name]: value })).toThrow(`${name}: `);
  });
});
