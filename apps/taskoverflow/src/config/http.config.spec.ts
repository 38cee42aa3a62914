import { ConfigError } from '@app/config';
import { loadHttpConfig } from './http.config';

describe('loadHttpConfig', () => {
  it('defaults: 10 s for headers, 30 s for a request, one trusted proxy (the ALB), no CORS, no rate limit', () => {
    expect(loadHttpConfig({})).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      trustProxyHops: 1,
      corsOrigins: [],
      rateLimit: undefined,
    });
  });

  it('reads the timeouts, the proxy hops, CORS origins and the rate limit', () => {
    expect(
      loadHttpConfig({
        HEADERS_TIMEOUT_MS: '2000',
        REQUEST_TIMEOUT_MS: '5000',
        TRUST_PROXY_HOPS: '0',
        CORS_ORIGINS: ' https://app.example.com ,http://localhost:3000,',
        RATE_LIMIT_MAX: '100',
        RATE_LIMIT_WINDOW_MS: '1000',
      }),
    ).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      trustProxyHops: 0,
      corsOrigins: ['https://app.example.com', 'http://localhost:3000'],
      rateLimit: { max: 100, windowMs: 1000 },
    });
  });

  it('limits over a minute when only RATE_LIMIT_MAX is set', () => {
    expect(loadHttpConfig({ RATE_LIMIT_MAX: '5' }).rateLimit).toEqual({ max: 5, windowMs: 60_000 });
  });

  it.each([
    ['*'],
    ['https://app.example.com/'],
    ['https://app.example.com/path'],
    ['app.example.com'],
    ['ftp://app.example.com'],
    ['https://app.example.com, nonsense'],
    [','],
  ])('refuses CORS_ORIGINS=%j: only exact origins', (value) => {
    expect(() => loadHttpConfig({ CORS_ORIGINS: value })).toThrow(/^Invalid application configuration: CORS_ORIGINS/);
  });

  it.each([
    ['HEADERS_TIMEOUT_MS', '0'],
    ['REQUEST_TIMEOUT_MS', 'soon'],
    ['TRUST_PROXY_HOPS', '11'],
    ['RATE_LIMIT_MAX', '0'],
    ['RATE_LIMIT_WINDOW_MS', '999'],
  ])('refuses %s=%j naming it', (name, value) => {
    expect(() => loadHttpConfig({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });

  it('refuses a header timeout longer than the request timeout (Node would throw at start-up)', () => {
    expect(() => loadHttpConfig({ HEADERS_TIMEOUT_MS: '40000' })).toThrow(ConfigError);
    expect(() => loadHttpConfig({ HEADERS_TIMEOUT_MS: '40000' })).toThrow(
      /HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS/,
    );
  });
});
