import fc from 'fast-check';
import { request, type RequestOptions, type Response } from '../support/http';
import { type RawResponse, rawRequest } from '../support/raw-http';
import { deleteAllTodos, startTestApp, type TestApp } from '../support/test-app';
import {
  anyId,
  headerName,
  headerValue,
  hostileBody,
  objectText,
  oversizedBody,
  queryString,
  storableText,
  unstorableChar,
} from '../support/hostile-input';
import { expectTodo, expectTodoList } from '../support/todo-schema-check';

/*
 * Property-based tests: fast-check generates bodies, ids, query strings and
 * headers, sends them over real HTTP to the real service on PostgreSQL, and
 * checks what must hold for every one of them: never a 5xx, every error a JSON
 * 4xx of the documented shape, a refused write changes no row.
 *
 * Runs are reproducible: the seed is fixed (FC_SEED=<n> picks another, to
 * explore), and a failure prints its seed and path with the shrunk input.
 * FC_RUNS=<n> changes the number of runs per property.
 */
const SEED = Number(process.env.FC_SEED ?? 6400);
const RUNS = Number(process.env.FC_RUNS ?? 100);
fc.configureGlobal({ seed: SEED, numRuns: RUNS });

const TODOS = '/api/v1/todos';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// ---- What must hold -------------------------------------------------------

/** Exactly the documented error shape: `{error, details?: [{field, message}]}`, JSON, no stack. */
function expectApiError(status: number, contentType: string | null | undefined, body: string): void {
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  expect(contentType).toBe('application/json; charset=utf-8');
  const json = JSON.parse(body);
  expect(typeof json.error).toBe('string');
  expect(json.error.length).toBeGreaterThan(0);
  expect(Object.keys(json).filter((key) => key !== 'error' && key !== 'details')).toEqual([]);
  if (json.details !== undefined) {
    for (const detail of json.details) {
      expect(Object.keys(detail).sort()).toEqual(['field', 'message']);
      expect(typeof detail.field).toBe('string');
      expect(typeof detail.message).toBe('string');
    }
  }
  expect(body).not.toMatch(/\bat .*\.(js|ts):\d+|node_modules|QueryFailedError/);
}

const expectError = (response: Response) =>
  expectApiError(response.status, response.headers.get('content-type'), response.text);
const expectRawError = (response: RawResponse) =>
  expectApiError(response.status, response.headers['content-type'], response.body);

describe('hostile input (property-based, real HTTP, real PostgreSQL)', () => {
  let t: TestApp;
  let existing: { id: number };
  const call = (method: string, path: string, options?: RequestOptions) => request(t.baseUrl, method, path, options);

  /** Every row and every column, microseconds included. */
  const tableContents = async (): Promise<{ id: number }[]> =>
    JSON.parse(
      (await t.dataSource.query(`SELECT coalesce(json_agg(t ORDER BY id), '[]')::text AS rows FROM todos t`))[0].rows,
    );
  const without = (rows: { id: number }[], id: unknown) => rows.filter((row) => row.id !== id);

  beforeAll(async () => {
    t = await startTestApp();
  });
  beforeEach(async () => {
    // A small table keeps each before/after comparison cheap.
    await deleteAllTodos(t.dataSource);
    existing = (await call('POST', TODOS, { json: { title: 'existing', description: 'kept' } })).json;
  });
  afterAll(() => t.close());
  afterEach(async () => {
    // The service runs in this process: Jest fails the running test on an
    // unhandled rejection or an uncaught exception, where the service would
    // crash. Here: it still answers, and no prototype was polluted.
    expect((await call('GET', '/api/v1/health')).status).toBe(200);
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stores any storable text verbatim: emoji, right-to-left, SQL-looking; the response, a GET and the row agree', async () => {
    await fc.assert(
      fc.asyncProperty(
        storableText(1, 80),
        fc.oneof(storableText(0, 120), fc.constant(null)),
        storableText(1, 80),
        async (title, description, newTitle) => {
          const created = await call('POST', TODOS, { json: { title, description } });
          expect(created.status).toBe(201);
          expectTodo(created.json);
          expect(created.json).toMatchObject({ title, description });
          expect((await call('GET', `${TODOS}/${created.json.id}`)).json).toEqual(created.json);
          const stored = await t.dataSource.query('SELECT title, description FROM todos WHERE id = $1', [
            created.json.id,
          ]);
          expect(stored).toEqual([{ title, description }]);

          const updated = await call('PUT', `${TODOS}/${created.json.id}`, { json: { title: newTitle } });
          expect(updated.status).toBe(200);
          expect(updated.json).toMatchObject({ id: created.json.id, title: newTitle, description });
        },
      ),
    );
    // The SQL-looking text was data, never SQL: the table is still there and whole.
    expect(await t.dataSource.query('SELECT count(*)::int > 0 AS present FROM todos')).toEqual([{ present: true }]);
  });

  it('refuses NUL and unpaired surrogates with a 400 naming the field, before the database', async () => {
    await fc.assert(
      fc.asyncProperty(
        storableText(0, 30),
        unstorableChar,
        storableText(0, 30),
        fc.constantFrom('title', 'description'),
        fc.constantFrom('POST', 'PUT'),
        async (before, bad, after, field, method) => {
          const rows = await tableContents();
          const json = { ...(method === 'POST' ? { title: 'x' } : {}), [field]: before + bad + after };
          const response = await call(method, method === 'POST' ? TODOS : `${TODOS}/${existing.id}`, { json });
          expect(response.status).toBe(400);
          expectError(response);
          expect(response.json.details).toContainEqual({
            field: `body.${field}`,
            message:
              bad === '\u0000'
                ? 'must not contain NUL characters'
                : 'must be valid Unicode: it holds an unpaired surrogate',
          });
          expect(await tableContents()).toEqual(rows);
        },
      ),
    );
  });

  it('answers any body with a 2xx or a JSON 4xx, never a 5xx; a refused write changes no row', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody, fc.constantFrom('POST', 'PUT'), async (body, method) => {
        const rows = await tableContents();
        const response = await call(method, method === 'POST' ? TODOS : `${TODOS}/${existing.id}`, {
          body: body.text,
          headers: { 'content-type': body.contentType ?? 'application/json' },
        });
        const after = await tableContents();
        if (response.status < 300 && !body.mustReject) {
          expect(response.status).toBe(method === 'POST' ? 201 : 200);
          expectTodo(response.json);
          if (method === 'POST') {
            expect(after).toEqual([...rows, expect.objectContaining({ id: response.json.id })]);
          } else {
            expect(without(after, existing.id)).toEqual(without(rows, existing.id));
          }
        } else {
          expectError(response);
          expect(after).toEqual(rows);
        }
      }),
    );
  });

  it('answers bodies over 16 KiB (counted in bytes, not characters) with 413, storing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(oversizedBody, fc.constantFrom('POST', 'PUT'), async (text, method) => {
        const rows = await tableContents();
        const response = await call(method, method === 'POST' ? TODOS : `${TODOS}/${existing.id}`, {
          body: text,
          headers: { 'content-type': 'application/json' },
        });
        expect(response.status).toBe(413);
        expectError(response);
        expect(await tableContents()).toEqual(rows);
      }),
      { numRuns: Math.min(RUNS, 30) },
    );
  });

  it('takes the last of repeated keys, as JSON.parse does, and judges only that value', async () => {
    const titleValue = fc.oneof(storableText(1, 80), fc.constantFrom('', 42, null, 'x'.repeat(81)));
    await fc.assert(
      fc.asyncProperty(titleValue, titleValue, async (first, last) => {
        const rows = await tableContents();
        const response = await call('POST', TODOS, {
          body: objectText([
            ['title', first],
            ['title', last],
          ]),
          headers: { 'content-type': 'application/json' },
        });
        const lastIsValid = typeof last === 'string' && last.length > 0 && Array.from(last).length <= 80;
        if (lastIsValid) {
          expect(response.status).toBe(201);
          expect(response.json.title).toBe(last);
        } else {
          expect(response.status).toBe(400);
          expectError(response);
          expect(response.json.details).toContainEqual(expect.objectContaining({ field: 'body.title' }));
          expect(await tableContents()).toEqual(rows);
        }
      }),
    );
  });

  it('answers any :id with 200, 404 or a JSON 400; only a valid id of an existing todo changes its own row', async () => {
    await fc.assert(
      fc.asyncProperty(anyId, fc.constantFrom('GET', 'PUT', 'DELETE'), async (id, method) => {
        const rows = await tableContents();
        const response = await call(method, `${TODOS}/${id}`, method === 'PUT' ? { json: { title: 'renamed' } } : {});
        const after = await tableContents();
        if (id === '') {
          // `/api/v1/todos/` is the list: GET lists, PUT and DELETE are not its methods.
          if (method === 'GET') expectTodoList(response.json);
          else expect(response.status).toBe(405);
          expect(after).toEqual(rows);
          return;
        }
        expect([200, 400, 404]).toContain(response.status);
        if (response.status >= 400) {
          expectError(response);
          expect(after).toEqual(rows);
        } else if (response.json.id === undefined) {
          // DELETE of no such todo: `{}`.
          expect(response.json).toEqual({});
          expect(after).toEqual(rows);
        } else {
          expectTodo(response.json);
          // Only plain decimal digits name a todo: 0x10, 1e3, +5 and 05 are 400s.
          expect(id).toMatch(/^[1-9][0-9]*$/);
          expect(response.json.id).toBe(Number(id));
          expect(without(after, response.json.id)).toEqual(without(rows, response.json.id));
          if (method === 'DELETE') await call('POST', TODOS, { json: { title: 'refill' } });
        }
      }),
    );
  });

  it('answers any query string on the list with a JSON array or a JSON 400 about the query', async () => {
    const rows = await tableContents();
    await fc.assert(
      fc.asyncProperty(queryString, async (query) => {
        const response = await call('GET', `${TODOS}?${query}`);
        if (response.status === 200) {
          expectTodoList(response.json);
        } else {
          expect(response.status).toBe(400);
          expectError(response);
          for (const detail of response.json.details ?? []) expect(detail.field).toMatch(/^query/);
        }
      }),
    );
    expect(await tableContents()).toEqual(rows);
  });

  it('answers any headers, bytes included, with a 2xx or a JSON 4xx; X-Request-Id is echoed only when safe', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }),
        fc.constantFrom('GET', 'POST'),
        async (headers, method) => {
          const rows = await tableContents();
          const body = method === 'POST' ? '{"title":"from raw headers"}' : '';
          const lines = headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
          const response = await rawRequest(
            t.baseUrl,
            `${method} ${TODOS} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${lines}` +
              `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
          );
          const after = await tableContents();
          expect(response.status).toBeLessThan(500);
          if (response.status >= 400) {
            expectRawError(response);
            expect(after).toEqual(rows);
          } else if (method === 'POST') {
            expect(after.length).toBe(rows.length + 1);
          } else {
            expect(after).toEqual(rows);
          }
          const sent = headers.filter(([name]) => name.toLowerCase() === 'x-request-id').map(([, value]) => value);
          const echoed = response.headers['x-request-id'];
          if (echoed !== undefined) {
            // HTTP drops the spaces and tabs around a header value.
            const value = sent.length === 1 ? sent[0].replace(/^[ \t]+|[ \t]+$/g, '') : undefined;
            const safe = value !== undefined && ACCEPTABLE_REQUEST_ID.test(value);
            expect(echoed).toEqual(safe ? value : expect.stringMatching(UUID_V4));
          }
        },
      ),
    );
  });

  it('never echoes an X-Request-Id with control or other unsafe characters: a new UUID, or a JSON 400', async () => {
    const unsafeChar = fc.oneof(
      fc
        .integer({ min: 0, max: 31 })
        .filter((code) => code !== 10 && code !== 13)
        .map((code) => String.fromCharCode(code)),
      fc.constantFrom('\x7f', ' ', '"', "'", '\\', '{', '}', '<', '>', '\xff', '\xe9', '\x85'),
    );
    let counter = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(unsafeChar, fc.constantFrom('a', '1', '-')), { minLength: 1, maxLength: 20 }),
        unsafeChar,
        async (rest, unsafe) => {
          // A marker unlikely to appear by chance, so that finding it in the answer means an echo.
          const marker = `rid${++counter}q${SEED}z`;
          // Ends in '.', so that trimming the value cannot make it acceptable.
          const value = `${marker}${unsafe}${rest.join('')}.`;
          const response = await rawRequest(
            t.baseUrl,
            `GET ${TODOS} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Request-Id: ${value}\r\n\r\n`,
          );
          expect(response.raw).not.toContain(marker);
          if (response.status === 200) {
            expect(response.headers['x-request-id']).toMatch(UUID_V4);
          } else {
            // Node's parser refuses most control characters before the service sees the request.
            expect(response.status).toBe(400);
            expectRawError(response);
          }
        },
      ),
    );
  });
});
