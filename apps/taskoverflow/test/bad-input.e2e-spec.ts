import { request, type RequestOptions } from './support/http';
import { deleteAllTodos, startTestApp, type TestApp } from './support/test-app';

const TODOS = '/api/v1/todos';

/** Every bad input gets a 4xx with a JSON error body, never a 5xx, and changes nothing. */
describe('bad input', () => {
  let t: TestApp;
  let existing: { id: number };
  const call = (method: string, path: string, options?: RequestOptions) =>
    request(t.baseUrl, method, path, options);
  const allTodos = async () => (await call('GET', TODOS)).json;

  const expectError = (
    response: Awaited<ReturnType<typeof call>>,
    status: number,
    error: string | RegExp,
  ) => {
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
    ])('%s', async (_, json, field) => {
      const response = await call('POST', TODOS, { json });
      expectError(response, 400, 'Invalid request body');
      expect(response.json.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
      expect(await allTodos()).toEqual([existing]);
    });

    it('a year PostgreSQL cannot store (0000) is a 400 from the database, not a 500', async () => {
      const response = await call('POST', TODOS, { json: { title: 'x', deadline_at: '0000-01-01T00:00:00' } });
      expectError(response, 400, 'The database cannot store a value of this request');
      expect(await allTodos()).toEqual([existing]);
    });

    it.each<[string, RequestOptions, number, string | RegExp]>([
      ['malformed JSON', { body: '{"title": ', headers: { 'content-type': 'application/json' } }, 400, /JSON/],
      ['an empty JSON body', { body: '', headers: { 'content-type': 'application/json' } }, 400, /empty/i],
      ['a JSON array', { json: [{ title: 'x' }] }, 400, 'Invalid request body'],
      ['a JSON string', { json: 'title' }, 400, 'Invalid request body'],
      ['JSON null', { body: 'null', headers: { 'content-type': 'application/json' } }, 400, 'Invalid request body'],
      ['a prototype-poisoning key', { body: '{"title":"x","__proto__":{"a":1}}', headers: { 'content-type': 'application/json' } }, 400, /not valid JSON/],
      ['text/plain', { body: '{"title":"x"}', headers: { 'content-type': 'text/plain' } }, 400, 'Content-Type must be application/json'],
      ['a form', { body: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 400, 'Content-Type must be application/json'],
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
      expect(response.json.details.map((detail: { field: string }) => detail.field).sort()).toEqual(
        ['body.completed', 'body.extra', 'body.title'],
      );
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
      expect(response.json.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
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
    it.each(['undefined', 'abc', '0', '-1', '1.5', '99999999999999999999', '2147483648', '%20'])(
      '%s',
      async (id) => {
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
      },
    );

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

  it('a method the route does not have → 404 JSON', async () => {
    expectError(await call('PATCH', `${TODOS}/${existing.id}`, { json: { title: 'x' } }), 404, /PATCH/);
    expect(await allTodos()).toEqual([existing]);
  });
});
