import { Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KEEP_ALIVE_TIMEOUT_MS } from '../../src/app.factory';
import { request, type Response } from '../support/http';
import { RawConnection, rawRequest } from '../support/raw-http';
import { deleteAllTodos, startTestApp, type TestApp } from '../support/test-app';

const TODOS = '/api/v1/todos';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FINGERPRINT = /fastify|nest|express|node|swagger|typeorm/i;

/** Exactly the documented error shape: `{error, details?}`, JSON, no stack. */
function expectApiError(status: number, contentType: string | null, body: string, expected: number): void {
  expect({ status, contentType }).toEqual({ status: expected, contentType: 'application/json; charset=utf-8' });
  const json = JSON.parse(body);
  expect(Object.keys(json).filter((key) => key !== 'details')).toEqual(['error']);
  expect(json.error).toEqual(expect.any(String));
  expect(body).not.toMatch(/\bat .*\.(js|ts):\d+|node_modules/);
}

/** The headers a JSON API sends on every answer, errors included. */
function expectSecurityHeaders(headers: Headers): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
  const csp = headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain('upgrade-insecure-requests');
}

function expectNoFingerprint(headers: Headers): void {
  expect(headers.get('x-powered-by')).toBeNull();
  expect(headers.get('server')).toBeNull();
  headers.forEach((value, name) => expect(`${name}: ${value}`).not.toMatch(FINGERPRINT));
}

describe('HTTP hardening, default configuration', () => {
  let t: TestApp;
  const call = (method: string, url: string, options?: Parameters<typeof request>[3]) =>
    request(t.baseUrl, method, url, options);

  beforeAll(async () => {
    t = await startTestApp();
    await deleteAllTodos(t.dataSource);
  });
  afterAll(() => t.close());

  it('sends security headers and no framework fingerprint on successes and every kind of error', async () => {
    const answers: [Response, number][] = [
      [await call('GET', TODOS), 200],
      [await call('POST', TODOS, { json: { title: 'headers' } }), 201],
      [await call('POST', TODOS, { json: { title: '' } }), 400],
      [await call('GET', `${TODOS}/999`), 404],
      [await call('GET', '/nowhere'), 404],
      [await call('POST', TODOS, { json: { title: 'x'.repeat(20_000) } }), 413],
      [await call('GET', '/api/v1/health'), 200],
    ];
    for (const [response, status] of answers) {
      expect(response.status).toBe(status);
      expectSecurityHeaders(response.headers);
      expectNoFingerprint(response.headers);
    }
  });

  it('serves a Swagger UI that works under its Content-Security-Policy', async () => {
    const page = await call('GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    // The template's <style> blocks are inline.
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
    // script-src 'self' would block an inline script: every script must be a same-origin file.
    const scripts = [...page.text.matchAll(/<script([^>]*)>/g)].map(([, attributes]) => attributes);
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    const assets: string[] = [];
    for (const attributes of scripts) {
      const src = /src=["']([^"']+)["']/.exec(attributes)?.[1];
      expect(src).toBeDefined();
      assets.push(src!);
    }
    assets.push(
      ...[...page.text.matchAll(/<link[^>]+rel=["']stylesheet["'][^>]*>/g)].map(
        ([tag]) => /href=["']([^"']+)["']/.exec(tag)![1],
      ),
    );
    for (const asset of assets) {
      const url = new URL(asset, `${t.baseUrl}/api/docs/`);
      expect(url.origin).toBe(t.baseUrl);
      const response = await call('GET', url.pathname);
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      expect(response.headers.get('content-type')).toMatch(/javascript|css/);
    }
    const init = await call('GET', '/api/docs/swagger-ui-init.js');
    expect(init.text).toContain('"/api/v1/todos"');
  });

  it('answers a failure it did not foresee with a bare 500: no stack, no SQL, no table name', async () => {
    await t.dataSource.query('ALTER TABLE todos RENAME TO todos_hidden');
    try {
      const response = await call('GET', `${TODOS}/1`);
      expectApiError(response.status, response.headers.get('content-type'), response.text, 500);
      expect(response.json).toEqual({ error: 'Internal server error' });
      expect(response.text).not.toMatch(/todos|SELECT|relation/i);
      expectSecurityHeaders(response.headers);
    } finally {
      await t.dataSource.query('ALTER TABLE todos_hidden RENAME TO todos');
    }
  });

  it('holds idle keep-alive connections longer than the ALB (terraform/alb.tf idle_timeout)', () => {
    const alb = readFileSync(path.resolve(__dirname, '../../../../terraform/alb.tf'), 'utf8');
    const albIdleSeconds = Number(/^\s*idle_timeout\s*=\s*(\d+)/m.exec(alb)?.[1]);
    expect(albIdleSeconds).toBeGreaterThan(0);
    const server = t.app.getHttpServer();
    expect(server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(server.keepAliveTimeout).toBeGreaterThan(albIdleSeconds * 1000);
  });

  it('bounds the time to send headers (10 s) and a whole request (30 s) by default', () => {
    const server = t.app.getHttpServer();
    expect(server.headersTimeout).toBe(10_000);
    expect(server.requestTimeout).toBe(30_000);
  });

  it('turns away headers over 16 KiB with 431 in the API error shape', async () => {
    const response = await rawRequest(
      t.baseUrl,
      `GET ${TODOS} HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expectApiError(response.status, response.headers['content-type'], response.body, 431);
  });

  it.each([
    ['a control character in a header', `GET ${TODOS} HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\x01b\r\n\r\n`],
    ['a malformed request line', 'GET  HTTP/1.1 nonsense\r\n\r\n'],
    [
      'both Content-Length and chunked (request smuggling)',
      `POST ${TODOS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    ],
  ])('answers %s with 400 in the API error shape', async (_, raw) => {
    const response = await rawRequest(t.baseUrl, raw);
    expectApiError(response.status, response.headers['content-type'], response.body, 400);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each([
    ['a malformed percent-encoding', `${TODOS}/%E0%A4%A`, /percent-encoding/],
    ['a path parameter over 100 characters', `${TODOS}/${'1'.repeat(101)}`, /^Invalid path parameter$/],
  ])('answers %s, which the router refuses before any hook, with 400 in the API error shape', async (_, url, error) => {
    const response = await call('GET', url);
    expectApiError(response.status, response.headers.get('content-type'), response.text, 400);
    expect(response.json.error).toMatch(error);
    expect(response.text).not.toContain('1'.repeat(101));
    expect(response.headers.get('x-request-id')).toMatch(UUID_V4);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers an Expect header other than 100-continue with 417 in the API error shape', async () => {
    const response = await rawRequest(
      t.baseUrl,
      `GET ${TODOS} HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n`,
    );
    expectApiError(response.status, response.headers['content-type'], response.body, 417);
  });

  it('sends no CORS headers and has no preflight route unless CORS_ORIGINS is set', async () => {
    const simple = await call('GET', TODOS, { headers: { origin: 'https://app.example.com' } });
    expect(simple.status).toBe(200);
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await call('OPTIONS', TODOS, {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE' },
    });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('does not rate limit unless RATE_LIMIT_MAX is set', async () => {
    const responses = await Promise.all(Array.from({ length: 60 }, () => call('GET', '/api/v1/todos')));
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
    for (const response of responses) {
      expect(response.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });
});

describe('request timeouts (slowloris)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ HEADERS_TIMEOUT_MS: '300', REQUEST_TIMEOUT_MS: '800' });
  });
  afterAll(() => t.close());

  it('answers 408 and closes a connection whose headers trickle in past HEADERS_TIMEOUT_MS', async () => {
    const connection = await RawConnection.open(t.baseUrl);
    const started = Date.now();
    connection.write(`GET ${TODOS} HTTP/1.1\r\nHost: x\r\n`);
    // One header line every 100 ms: the connection is never idle, the headers never end.
    const drip = setInterval(() => !connection.isClosed && connection.write('X-Drip: 1\r\n'), 100);
    try {
      const response = await connection.response(4000);
      await connection.closed();
      const elapsed = Date.now() - started;
      expectApiError(response.status, response.headers['content-type'], response.body, 408);
      // The deadline plus Node's once-a-second check, never the 30 s default check.
      expect(elapsed).toBeGreaterThanOrEqual(300);
      expect(elapsed).toBeLessThan(2500);
    } finally {
      clearInterval(drip);
      connection.close();
    }
  });

  it('answers 408 and closes a connection whose body trickles in past REQUEST_TIMEOUT_MS, storing nothing', async () => {
    await deleteAllTodos(t.dataSource);
    const errorLogs = jest.spyOn(Logger.prototype, 'error');
    const body = JSON.stringify({ title: 'slow body' });
    const connection = await RawConnection.open(t.baseUrl);
    const started = Date.now();
    connection.write(
      `POST ${TODOS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    let sent = 0;
    const drip = setInterval(
      () => !connection.isClosed && sent < body.length - 1 && connection.write(body[sent++]),
      100,
    );
    try {
      const response = await connection.response(4000);
      await connection.closed();
      const elapsed = Date.now() - started;
      expectApiError(response.status, response.headers['content-type'], response.body, 408);
      expect(elapsed).toBeGreaterThanOrEqual(800);
      expect(elapsed).toBeLessThan(3000);
      expect(await t.dataSource.query('SELECT count(*)::int AS n FROM todos')).toEqual([{ n: 0 }]);
      // The body stream breaking off afterwards is the client's fault, not a 500 to log.
      await sleep(200);
      expect(errorLogs).not.toHaveBeenCalled();
    } finally {
      errorLogs.mockRestore();
      clearInterval(drip);
      connection.close();
    }
  });

  it('keeps an idle keep-alive connection open past the header timeout (no 502s behind the ALB)', async () => {
    const connection = await RawConnection.open(t.baseUrl);
    try {
      const get = `GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n`;
      connection.write(get);
      expect((await connection.response()).status).toBe(200);
      // Idle for several times HEADERS_TIMEOUT_MS and REQUEST_TIMEOUT_MS, and past a timeout check.
      await sleep(1500);
      expect(connection.isClosed).toBe(false);
      connection.write(get);
      expect((await connection.response()).status).toBe(200);
    } finally {
      connection.close();
    }
  });
});

describe('CORS with CORS_ORIGINS set', () => {
  let t: TestApp;
  const allowed = 'https://app.example.com';

  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: `${allowed}, http://localhost:3000` });
  });
  afterAll(() => t.close());

  it('allows a listed origin to read answers, and the headers it needs', async () => {
    const response = await request(t.baseUrl, 'GET', TODOS, { headers: { origin: allowed } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(response.headers.get('vary')).toMatch(/origin/i);
    expect(response.headers.get('access-control-expose-headers')?.split(/,\s*/)).toEqual(
      expect.arrayContaining(['X-Request-Id', 'ETag', 'Link', 'Retry-After']),
    );
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers a listed origin’s preflight with the API’s methods and headers', async () => {
    const response = await request(t.baseUrl, 'OPTIONS', `${TODOS}/1`, {
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(response.headers.get('access-control-allow-methods')?.split(/,\s*/)).toEqual([
      'GET',
      'POST',
      'PUT',
      'DELETE',
    ]);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
    expect(response.headers.get('access-control-max-age')).toBe('600');
  });

  it.each(['https://evil.example', 'https://app.example.com.evil.example', 'null'])(
    'gives %s no access',
    async (origin) => {
      const simple = await request(t.baseUrl, 'GET', TODOS, { headers: { origin } });
      expect(simple.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await request(t.baseUrl, 'OPTIONS', TODOS, {
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    },
  );
});

describe('rate limiting with RATE_LIMIT_MAX set', () => {
  let t: TestApp;
  const from = (client: string) => ({ 'x-forwarded-for': client });

  beforeAll(async () => {
    // Behind one proxy (the ALB), the client is the address it appends to X-Forwarded-For.
    t = await startTestApp({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000', TRUST_PROXY_HOPS: '1' });
    await deleteAllTodos(t.dataSource);
  });
  afterAll(() => t.close());

  it('answers the request past the limit with 429, the API error shape and Retry-After; nothing is stored', async () => {
    const client = from('203.0.113.1');
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await request(t.baseUrl, 'GET', TODOS, { headers: client });
      expect(response.status).toBe(200);
      remaining.push(response.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const limited = await request(t.baseUrl, 'POST', TODOS, { json: { title: 'over the limit' }, headers: client });
    expectApiError(limited.status, limited.headers.get('content-type'), limited.text, 429);
    expect(limited.json).toEqual({ error: expect.stringMatching(/^Too many requests: retry in /) });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-request-id')).toMatch(UUID_V4);
    expectSecurityHeaders(limited.headers);
    expect(await t.dataSource.query('SELECT count(*)::int AS n FROM todos')).toEqual([{ n: 0 }]);
  });

  it('never limits the health checks', async () => {
    const client = from('203.0.113.1');
    for (let i = 0; i < 5; i++) {
      for (const url of ['/api/v1/health', '/api/v1/health/ready']) {
        const response = await request(t.baseUrl, 'GET', url, { headers: client });
        expect({ url, status: response.status }).toEqual({ url, status: 200 });
        expect(response.headers.get('x-ratelimit-limit')).toBeNull();
      }
    }
  });

  it('counts each client on its own', async () => {
    const other = await request(t.baseUrl, 'GET', TODOS, { headers: from('203.0.113.2') });
    expect(other.status).toBe(200);
    expect(other.headers.get('x-ratelimit-remaining')).toBe('2');
  });

  it('cannot be escaped by a forged X-Forwarded-For entry in front of the one the ALB appends', async () => {
    for (const forged of ['198.51.100.7', '198.51.100.8', '10.0.0.1']) {
      const response = await request(t.baseUrl, 'GET', TODOS, { headers: from(`${forged}, 203.0.113.1`) });
      expect(response.status).toBe(429);
    }
  });
});

describe('rate limit window', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '1', RATE_LIMIT_WINDOW_MS: '1000' });
  });
  afterAll(() => t.close());

  it('lets the client in again once Retry-After has passed', async () => {
    expect((await request(t.baseUrl, 'GET', TODOS)).status).toBe(200);
    const limited = await request(t.baseUrl, 'GET', TODOS);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    await sleep(1100);
    expect((await request(t.baseUrl, 'GET', TODOS)).status).toBe(200);
  });
});
