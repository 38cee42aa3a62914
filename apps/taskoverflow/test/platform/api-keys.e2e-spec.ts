import { request } from '../support/http';
import { deleteAllTodos, startTestApp, type TestApp } from '../support/test-app';

const KEY = 'current-key-0123456789abcdefghijklmnopqrstuvwxyz';
const NEXT_KEY = 'next-key-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789';
/** The request that puts a key in its URL: its own log lines are bound to show it. */
const KEY_IN_URL = 'key-in-url';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Log lines written by the app, as text: what reached the log, whatever its level. */
function captureLog(): { write(line: string): void; text(): string } {
  const lines: string[] = [];
  return { write: (line) => void lines.push(line), text: () => lines.join('') };
}

describe('API keys (API_KEYS set)', () => {
  let t: TestApp;
  const log = captureLog();
  beforeAll(async () => {
    t = await startTestApp({ API_KEYS: `${KEY},${NEXT_KEY}`, LOG_LEVEL: 'info' }, { logTo: log });
  });
  afterAll(() => t.close());
  beforeEach(() => deleteAllTodos(t.dataSource));

  it('answers 401 in the API error shape with WWW-Authenticate: Bearer when the key is missing', async () => {
    const response = await request(t.baseUrl, 'GET', '/api/v1/todos');

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="taskoverflow"');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(response.json).toEqual({ error: 'Missing or wrong API key: send it as Authorization: Bearer <key>' });
  });

  it.each([
    ['a wrong key', bearer('x'.repeat(KEY.length))],
    ['the key cut short by one character', bearer(KEY.slice(0, -1))],
    ['the key with a character added', bearer(`${KEY}x`)],
    ['the key under another scheme', { authorization: `Basic ${KEY}` }],
    ['the key without a scheme', { authorization: KEY }],
    ['the key as X-Api-Key', { 'x-api-key': KEY }],
  ])('answers 401 to %s', async (_, headers) => {
    const response = await request(t.baseUrl, 'GET', '/api/v1/todos', { headers });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="taskoverflow"/);
  });

  it('says the token was wrong when one was sent', async () => {
    const response = await request(t.baseUrl, 'GET', '/api/v1/todos', { headers: bearer('nope'.repeat(10)) });
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="taskoverflow", error="invalid_token"');
  });

  it('does not take the key from the URL, which is logged', async () => {
    const response = await request(t.baseUrl, 'GET', `/api/v1/todos?api_key=${KEY}`, {
      headers: { 'x-request-id': KEY_IN_URL },
    });
    expect(response.status).toBe(401);
  });

  it('serves every route with either key, the scheme in any case', async () => {
    for (const key of [KEY, NEXT_KEY]) {
      const created = await request(t.baseUrl, 'POST', '/api/v1/todos', { json: { title: 'A' }, headers: bearer(key) });
      expect(created.status).toBe(201);
      const path = `/api/v1/todos/${created.json.id}`;
      expect((await request(t.baseUrl, 'GET', '/api/v1/todos', { headers: bearer(key) })).status).toBe(200);
      expect((await request(t.baseUrl, 'GET', path, { headers: { authorization: `bearer ${key}` } })).status).toBe(200);
      const updated = await request(t.baseUrl, 'PUT', path, { json: { completed: true }, headers: bearer(key) });
      expect(updated.status).toBe(200);
      expect((await request(t.baseUrl, 'DELETE', path, { headers: bearer(key) })).status).toBe(200);
    }
  });

  it('stores nothing from a write without the key', async () => {
    const response = await request(t.baseUrl, 'POST', '/api/v1/todos', { json: { title: 'not mine to add' } });

    expect(response.status).toBe(401);
    expect(await t.dataSource.query('SELECT count(*)::int AS n FROM todos')).toEqual([{ n: 0 }]);
  });

  it('answers 401, not 404, for a route that does not exist, so routes cannot be found without a key', async () => {
    expect((await request(t.baseUrl, 'GET', '/api/v1/secrets')).status).toBe(401);
    expect((await request(t.baseUrl, 'GET', '/api/v1/secrets', { headers: bearer(KEY) })).status).toBe(404);
  });

  it('leaves the health checks and the API documents open', async () => {
    expect((await request(t.baseUrl, 'GET', '/api/v1/health')).status).toBe(200);
    expect((await request(t.baseUrl, 'GET', '/api/v1/health/ready')).status).toBe(200);
    expect((await request(t.baseUrl, 'GET', '/api/docs/openapi.json')).status).toBe(200);
  });

  it('declares bearer authentication in the OpenAPI document, on every operation but the health checks', async () => {
    const document = (await request(t.baseUrl, 'GET', '/api/docs/openapi.json')).json;

    expect(document.components.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    const operations = Object.entries(document.paths as Record<string, Record<string, { security?: unknown }>>)
      .flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })))
      .filter(({ method }) => ['get', 'post', 'put', 'delete'].includes(method));
    for (const { path, operation } of operations) {
      if (path.startsWith('/api/v1/health')) expect(operation.security).toBeUndefined();
      else expect(operation).toMatchObject({ security: [{ apiKey: [] }], responses: { '401': expect.anything() } });
    }
    expect(operations.filter(({ path }) => path.startsWith('/api/v1/todos')).length).toBeGreaterThanOrEqual(5);
  });

  it('logs each refusal as a warning with the request id, and never a key', async () => {
    const wrong = 'wrong-key-that-must-not-be-logged-0123456789';
    await request(t.baseUrl, 'GET', '/api/v1/todos', { headers: { ...bearer(wrong), 'x-request-id': 'refused-1' } });

    const lines = log
      .text()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', request_id: 'refused-1', message: 'Wrong API key: GET /api/v1/todos' }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ request_id: 'refused-1', message: 'Request finished', status_code: 401 }),
    );
    const logged = lines.filter((line) => line.request_id !== KEY_IN_URL).map((line) => JSON.stringify(line));
    expect(logged.length).toBeGreaterThan(20);
    for (const secret of [wrong, KEY, NEXT_KEY]) expect(logged.filter((line) => line.includes(secret))).toEqual([]);
  });
});

describe('API keys with a rate limit', () => {
  it('counts refused attempts against the client’s limit, so keys cannot be guessed at full speed', async () => {
    const t = await startTestApp({ API_KEYS: KEY, RATE_LIMIT_MAX: '3' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        statuses.push((await request(t.baseUrl, 'GET', '/api/v1/todos', { headers: bearer(`guess-${i}`) })).status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('API keys off (API_KEYS unset)', () => {
  it('serves the API without a key and declares no authentication', async () => {
    const t = await startTestApp();
    try {
      expect((await request(t.baseUrl, 'GET', '/api/v1/todos')).status).toBe(200);
      const document = (await request(t.baseUrl, 'GET', '/api/docs/openapi.json')).json;
      expect(document.components?.securitySchemes).toBeUndefined();
      expect(JSON.stringify(document.paths)).not.toContain('"security"');
    } finally {
      await t.close();
    }
  });
});
