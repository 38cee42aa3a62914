import { ConfigError } from '@app/config';
import { loadConfig } from './app.config';
import { availableCpus } from './available-cpus';

describe('loadConfig', () => {
  it('defaults to port 6400 on every interface, with a shutdown deadline under ECS 30 s', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://db/app' }).app).toEqual({
      port: 6400,
      host: '0.0.0.0',
      shutdownTimeoutMs: 25_000,
      webConcurrency: availableCpus(),
    });
  });

  it('reads PORT, HOST, SHUTDOWN_TIMEOUT_MS and WEB_CONCURRENCY', () => {
    expect(
      loadConfig({ PORT: '8080', HOST: '127.0.0.1', SHUTDOWN_TIMEOUT_MS: '5000', WEB_CONCURRENCY: '4' }).app,
    ).toEqual({
      port: 8080,
      host: '127.0.0.1',
      shutdownTimeoutMs: 5000,
      webConcurrency: 4,
    });
  });

  it('validates the database settings too', () => {
    expect(() => loadConfig({ DB_POOL_SIZE: 'many' })).toThrow(ConfigError);
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '-5' })).toThrow(/SHUTDOWN_TIMEOUT_MS: /);
    expect(() => loadConfig({ WEB_CONCURRENCY: '0' })).toThrow(/WEB_CONCURRENCY: /);
  });
});
