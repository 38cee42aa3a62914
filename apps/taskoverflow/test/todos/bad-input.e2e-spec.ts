import { request, type RequestOptions } from '../support/http';
import { rawRequest } from '../support/raw-http';
import { deleteAllTodos, startTestApp, type TestApp } from '../support/test-app';

const TODOS = '/api/v1/todos';

/** Every bad input gets a 4xx with a JSON error body, never a 5xx, and changes nothing. */
describe('bad input', () => {
  let t: TestApp;
  let existing: { id: number };
  const call = (method: string, path: string, options?: RequestOptions) => request(t.baseUrl, method, path, options);
  const allTodos = async () => (await call('GET', TODOS)).json;

  const expectError = (response: Awaited<ReturnType<typeof call>>, status: number, error: string | RegExp) => {
    expect({ status: response.status, contentType: response.headers.get('content-type') }).toEqual({
      status,
      contentType: 'application/json; charset=utf-8',
    });
    expect(response.json.error).toEqual(typeof error === 'string' ? error : expect.stringMatching(error));
    expect(response.text).not.toMatch(/\bat .*\.(js|ts):\d+/);
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await deleteAllTodos(t.dataSource);
    existing = (await call('POST', TODOS, { json: { title: 'existing', description: 'kept' } })).json;
  });

  describe('POST /todos bodies → 400, nothing stored', () => {
    it.each<[string, unknown, string]>([
      ['a missing title', { description: 'x' }, 'body.title'],
      ['a null title', { title: null }, 'body.title'],
      ['an empty title', { title: '' }, 'body.title'],
      ['a title of 81 characters', { title: 'x'.repeat(81) }, 'body.title'],
      ['a description of 121 characters', { title: 'x', description: 'x'.repeat(121) }, 'body.description'],
      ['a numeric title', { title: 42 }, 'body.title'],
      ['completed as a string', { title: 'x', completed: 'true' }, 'body.completed'],
      ['completed as a number', { title: 'x', completed: 1 }, 'body.completed'],
      ['an unknown field', { title: 'x', priority: 'high' }, 'body.priority'],
      ['an id', { id: 5, title: 'x' }, 'body.id'],
      ['an impossible date', { title: 'x', deadline_at: '2023-02-30T00:00:00' }, 'body.deadline_at'],
      ['a date that is not a leap day', { title: 'x', deadline_at: '2023-02-29T00:00:00' }, 'body.deadline_at'],
      ['an unparseable date', { title: 'x', deadline_at: 'next tuesday' }, 'body.deadline_at'],
      ['a date without a time', { title: 'x', deadline_at: '2023-12-04' }, 'body.deadline_at'],
      ['hour 25', { title: 'x', deadline_at: '2023-12-04T25:00:00' }, 'body.deadline_at'],
      ['a numeric date', { title: 'x', deadline_at: 1701698400 }, 'body.deadline_at'],
      ['a NUL character in the title', { title: 'a\u0000b' }, 'body.title'],
      ['a NUL character in the description', { title: 'x', description: '\u0000' }, 'body.description'],
      [
        'year 0000, which PostgreSQL cannot store',
        { title: 'x', deadline_at: '0000-01-01T00:00:00' },
        'body.deadline_at',
      ],
      [
        'year 0001 with an offset that would make it year 0 in UTC',
        { title: 'x', deadline_at: '0001-01-01T00:00:00+01:00' },
        'body.deadline_at',
      ],
      [
        'year 9999 with an offset that would make it year 10000 in UTC',
        { title: 'x', deadline_at: '9999-12-31T23:59:59-05:00' },
        'body.deadline_at',
      ],
      ['an offset beyond ±15:59', { title: 'x', deadline_at: '2023-12-04T14:00:00+16:00' }, 'body.deadline_at'],
      ['an empty deadline', { title: 'x', deadline_at: '' }, 'body.deadline_at'],
      ['a deadline with 7 decimals', { title: 'x', deadline_at: '2023-12-04T14:00:00.1234567' }, 'body.deadline_at'],
    ])('%s', async (_, json, field) => {
      const response = await call('POST', TODOS, { json });
      expectError(response, 400, 'Invalid request body');
      expect(response.json.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await allTodos()).toEqual([existing]);
    });

    it('the first and last storable instants are stored as given', async () => {
      for (const [given, stored] of [
        ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00'],
        ['9999-12-31T23:59:59.999999', '9999-12-31T23:59:59.999999'],
        ['2023-12-04 14:00:00.5+15:59', '2023-12-03T22:01:00.500000'],
      ]) {
        const response = await call('POST', TODOS, { json: { title: 'x', deadline_at: given } });
        expect(response.status).toBe(201);
        expect(response.json.deadline_at).toBe(stored);
      }
    });

    it('a string that is not valid Unicode (an unpaired surrogate escape) names its field', async () => {
      const response = await call('POST', TODOS, {
        body: '{"title":"x","description":"a\\ud800b"}',
        headers: { 'content-type': 'application/json' },
      });
      expectError(response, 400, 'Invalid request body');
      expect(response.json.details).toEqual([
        { field: 'body.description', message: 'must be valid Unicode: it holds an unpaired surrogate' },
      ]);
      expect(await allTodos()).toEqual([existing]);
    });

    it.each([
      ['a "__proto__" key', '{"title":"x","__proto__":{"a":1}}', '"__proto__"'],
      ['a "constructor.prototype" key', '{"title":"x","constructor":{"prototype":{"a":1}}}', '"constructor.prototype"'],
    ])('%s is refused as prototype pollution, not as bad JSON', async (_, body, key) => {
      const response = await call('POST', TODOS, { body, headers: { 'content-type': 'application/json' } });
      expectError(response, 400, 'Invalid request body');
      expect(response.json.details).toEqual([
        { field: 'body', message: `must not contain a ${key} key (refused: it could pollute object prototypes)` },
      ]);
      expect(await allTodos()).toEqual([existing]);
    });

    it.each<[string, RequestOptions, number, string | RegExp]>([
      ['malformed JSON', { body: '{"title": ', headers: { 'content-type': 'application/json' } }, 400, /JSON/],
      ['an empty JSON body', { body: '', headers: { 'content-type': 'application/json' } }, 400, /empty/i],
      ['a JSON array', { json: [{ title: 'x' }] }, 400, 'Invalid request body'],
      ['a JSON string', { json: 'title' }, 400, 'Invalid request body'],
      ['JSON null', { body: 'null', headers: { 'content-type': 'application/json' } }, 400, 'Invalid request body'],
      [
        'text/plain',
        { body: '{"title":"x"}', headers: { 'content-type': 'text/plain' } },
        400,
        'Content-Type must be application/json',
      ],
      [
        'a form',
        { body: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        400,
        'Content-Type must be application/json',
      ],
      ['no content type', { body: '{"title":"x"}' }, 400, /Content-Type|Invalid/],
      ['no body at all', {}, 400, 'Invalid request body'],
      ['a body over 16 KiB', { json: { title: 'x', description: 'y'.repeat(17 * 1024) } }, 413, /too large/i],
    ])('%s', async (_, options, status, error) => {
      const response = await call('POST', TODOS, options);
      expectError(response, status, error);
      expect(await allTodos()).toEqual([existing]);
    });

    it('a body of exactly 16 KiB is read (and judged by its fields)', async () => {
      const filler = 16 * 1024 - JSON.stringify({ title: 'x', description: '' }).length;
      const json = { title: 'x', description: 'y'.repeat(filler) };
      expect(Buffer.byteLength(JSON.stringify(json))).toBe(16 * 1024);
      const response = await call('POST', TODOS, { json });
      expectError(response, 400, 'Invalid request body');
      expect(response.json.details).toEqual([
        { field: 'body.description', message: 'must NOT have more than 120 characters' },
      ]);
    });

    it('lists every problem of a body at once', async () => {
      const response = await call('POST', TODOS, { json: { title: '', completed: 'no', extra: 1 } });
      expect(response.json.details.map((detail: { field: string }) => detail.field).sort()).toEqual([
        'body.completed',
        'body.extra',
        'body.title',
      ]);
    });
  });

  describe('PUT /todos/:id bodies → 400, nothing changed', () => {
    it.each<[string, unknown, string]>([
      ['an id in the body', { id: 99, title: 'x' }, 'body.id'],
      ['an unknown field', { colour: 'red' }, 'body.colour'],
      ['an empty object', {}, 'body'],
      ['a null title', { title: null }, 'body.title'],
      ['a null completed', { completed: null }, 'body.completed'],
      ['a title of 81 characters', { title: 'x'.repeat(81) }, 'body.title'],
      ['an impossible date', { deadline_at: '2023-02-30T12:00:00Z' }, 'body.deadline_at'],
    ])('%s', async (_, json, field) => {
      const response = await call('PUT', `${TODOS}/${existing.id}`, { json });
      expectError(response, 400, 'Invalid request body');
      expect(response.json.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await allTodos()).toEqual([existing]);
    });

    it('malformed JSON', async () => {
      const response = await call('PUT', `${TODOS}/${existing.id}`, {
        body: '{',
        headers: { 'content-type': 'application/json' },
      });
      expectError(response, 400, /JSON/);
      expect(await allTodos()).toEqual([existing]);
    });
  });

  describe('ids that are not positive integers within PostgreSQL integer → 400', () => {
    it.each([
      'undefined',
      'abc',
      '0',
      '-1',
      '1.5',
      '99999999999999999999',
      '2147483648',
      '%20',
      '0x10',
      '1e3',
      '+5',
      '%205',
      '05',
      '1.0',
      '-0',
    ])('%s', async (id) => {
      for (const [method, options] of [
        ['GET', {}],
        ['PUT', { json: { title: 'x' } }],
        ['DELETE', {}],
      ] as const) {
        const response = await call(method, `${TODOS}/${id}`, options);
        expectError(response, 400, 'Invalid path parameter');
        expect(response.json.details).toEqual([expect.objectContaining({ field: 'params.id' })]);
      }
      expect(await allTodos()).toEqual([existing]);
    });

    it('says why a number in another notation is refused', async () => {
      const response = await call('GET', `${TODOS}/0x10`);
      expect(response.json.details).toEqual([
        { field: 'params.id', message: 'must be an integer in plain decimal digits, e.g. 42' },
      ]);
    });

    it('the largest integer is a valid id (404, not 400)', async () => {
      expectError(await call('GET', `${TODOS}/2147483647`), 404, 'Todo not found');
    });
  });

  describe('list query parameters → 400', () => {
    it.each([
      'completed=yes',
      'completed=1',
      'completed=',
      'completed=true&completed=false',
      'window=-1',
      'window=1.5',
      'window=abc',
      'window=',
      'window=1000001',
      'window=99999999999999999999',
      'window=0x10',
      'window=+5',
      'window=05',
      'limit=1e1',
      'limit=%205',
      'after_id=0x10',
      'after_id=1.0',
      'unknown=1',
    ])('%s', async (query) => {
      const response = await call('GET', `${TODOS}?${query}`);
      expectError(response, 400, 'Invalid query string');
      expect(response.json.details[0].field).toMatch(/^query/);
    });
  });

  it('an unknown route → 404 JSON', async () => {
    expectError(await call('GET', '/api/v1/nothing-here'), 404, /not found|Cannot GET/i);
    expectError(await call('GET', '/'), 404, /not found|Cannot GET/i);
  });

  it('a repeated query parameter says it is repeated', async () => {
    const response = await call('GET', `${TODOS}?completed=true&completed=false`);
    expectError(response, 400, 'Invalid query string');
    expect(response.json.details).toEqual([{ field: 'query.completed', message: 'must be given once, not repeated' }]);
  });

  it('a trailing slash on the list is the list', async () => {
    const response = await call('GET', `${TODOS}/`);
    expect(response.status).toBe(200);
    expect(response.json).toEqual([existing]);
  });

  it.each([
    ['PATCH', `${TODOS}/1`, 'DELETE, GET, HEAD, PUT'],
    ['QUERY', `${TODOS}/1`, 'DELETE, GET, HEAD, PUT'],
    ['TRACE', `${TODOS}/1`, 'DELETE, GET, HEAD, PUT'],
    ['TRACE', TODOS, 'GET, HEAD, POST'],
    ['DELETE', TODOS, 'GET, HEAD, POST'],
    ['PUT', `${TODOS}/`, 'GET, HEAD, POST'],
    ['POST', '/api/v1/health', 'GET, HEAD'],
  ])('%s %s → 405 with Allow: %s, nothing changed', async (method, path, allow) => {
    // Over a bare socket: fetch refuses to send TRACE.
    const response = await rawRequest(
      t.baseUrl,
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{"title":"new"}`,
    );
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(response.body)).toEqual({ error: `${method} is not allowed here: use ${allow}` });
    expect(await allTodos()).toEqual([existing]);
  });
});
