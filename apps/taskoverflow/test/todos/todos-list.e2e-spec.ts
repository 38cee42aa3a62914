import { deleteAllTodos, startTestApp, type TestApp } from '../support/test-app';
import { request } from '../support/http';
import { MAX_PAGE_SIZE } from '../../src/todos/dto/todo.schema';

/** The list's conditional requests (ETag, 304), its per-process cache and paging. */
describe('GET /api/v1/todos: ETag, cache and paging', () => {
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    // Two processes' worth of application on one database, like two ECS tasks.
    first = await startTestApp();
    second = await startTestApp();
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });
  beforeEach(() => deleteAllTodos(first.dataSource));

  const create = async (app: TestApp, title: string, completed = false) => {
    const created = await request(app.baseUrl, 'POST', '/api/v1/todos', { json: { title, completed } });
    expect(created.status).toBe(201);
    return created.json as { id: number; title: string };
  };
  const titles = async (app: TestApp, path = '/api/v1/todos') => {
    const list = await request(app.baseUrl, 'GET', path);
    expect(list.status).toBe(200);
    return (list.json as { title: string }[]).map((todo) => todo.title);
  };

  describe('ETag and If-None-Match', () => {
    it('answers 304 with no body while the todos are unchanged, and 200 with a new ETag after a change', async () => {
      await create(first, 'one');
      const list = await request(first.baseUrl, 'GET', '/api/v1/todos');
      const etag = list.headers.get('etag');
      expect(etag).toMatch(/^"\d+"$/);
      expect(list.headers.get('cache-control')).toBe('no-cache');

      const unchanged = await request(first.baseUrl, 'GET', '/api/v1/todos', {
        headers: { 'if-none-match': etag! },
      });
      expect(unchanged.status).toBe(304);
      expect(unchanged.text).toBe('');
      expect(unchanged.headers.get('etag')).toBe(etag);

      await create(first, 'two');
      const changed = await request(first.baseUrl, 'GET', '/api/v1/todos', {
        headers: { 'if-none-match': etag! },
      });
      expect(changed.status).toBe(200);
      expect(changed.headers.get('etag')).not.toBe(etag);
      expect((changed.json as { title: string }[]).map((todo) => todo.title)).toEqual(['one', 'two']);
    });

    it('matches weak validators and lists of ETags, as RFC 9110 says', async () => {
      const etag = (await request(first.baseUrl, 'GET', '/api/v1/todos')).headers.get('etag')!;
      for (const header of [`W/${etag}`, `"0", ${etag}`, '*']) {
        const answer = await request(first.baseUrl, 'GET', '/api/v1/todos', { headers: { 'if-none-match': header } });
        expect({ header, status: answer.status }).toEqual({ header, status: 304 });
      }
      const other = await request(first.baseUrl, 'GET', '/api/v1/todos', { headers: { 'if-none-match': '"0"' } });
      expect(other.status).toBe(200);
    });

    it('keeps the ETag when a write changes nothing (DELETE of a missing id) and changes it on PUT and DELETE', async () => {
      const todo = await create(first, 'one');
      const etagOf = async () => (await request(first.baseUrl, 'GET', '/api/v1/todos')).headers.get('etag');
      const before = await etagOf();
      expect((await request(first.baseUrl, 'DELETE', `/api/v1/todos/${todo.id + 100}`)).status).toBe(200);
      expect(await etagOf()).toBe(before);

      expect(
        (await request(first.baseUrl, 'PUT', `/api/v1/todos/${todo.id}`, { json: { completed: true } })).status,
      ).toBe(200);
      const afterPut = await etagOf();
      expect(afterPut).not.toBe(before);
      expect((await request(first.baseUrl, 'DELETE', `/api/v1/todos/${todo.id}`)).status).toBe(200);
      expect(await etagOf()).not.toBe(afterPut);
    });

    it('gives no ETag to a window (it depends on the clock) or to a page', async () => {
      await create(first, 'one');
      for (const path of ['/api/v1/todos?window=5', '/api/v1/todos?limit=10']) {
        const answer = await request(first.baseUrl, 'GET', path, { headers: { 'if-none-match': '*' } });
        expect({ path, status: answer.status, etag: answer.headers.get('etag') }).toEqual({
          path,
          status: 200,
          etag: null,
        });
      }
    });
  });

  describe('the per-process cache', () => {
    it("serves each process the other's writes at once, for the whole list and for each completed filter", async () => {
      const one = await create(first, 'one');
      await create(first, 'two', true);
      // Both processes now hold rendered lists.
      for (const app of [first, second]) {
        expect(await titles(app)).toEqual(['one', 'two']);
        expect(await titles(app, '/api/v1/todos?completed=true')).toEqual(['two']);
        expect(await titles(app, '/api/v1/todos?completed=false')).toEqual(['one']);
      }

      await create(second, 'three');
      await request(second.baseUrl, 'PUT', `/api/v1/todos/${one.id}`, { json: { completed: true } });
      expect(await titles(first)).toEqual(['one', 'two', 'three']);
      expect(await titles(first, '/api/v1/todos?completed=true')).toEqual(['one', 'two']);
      expect(await titles(first, '/api/v1/todos?completed=false')).toEqual(['three']);

      await request(first.baseUrl, 'DELETE', `/api/v1/todos/${one.id}`);
      expect(await titles(second)).toEqual(['two', 'three']);
    });

    it('sees writes made by other clients of the database, TRUNCATE included', async () => {
      await create(first, 'one');
      expect(await titles(first)).toEqual(['one']);
      await first.dataSource.query("UPDATE todos SET title = 'renamed by SQL'");
      expect(await titles(first)).toEqual(['renamed by SQL']);
      await first.dataSource.query('TRUNCATE todos');
      expect(await titles(first)).toEqual([]);
    });

    it('is really used: with the change counter bypassed, the cached list is served, and TODOS_LIST_CACHE=false renders afresh', async () => {
      const uncached = await startTestApp({ TODOS_LIST_CACHE: 'false' });
      try {
        await create(first, 'one');
        expect(await titles(first)).toEqual(['one']);
        expect(await titles(uncached)).toEqual(['one']);
        await first.dataSource.query(
          'ALTER TABLE todos DISABLE TRIGGER todos_revision_on_change; ' +
            "UPDATE todos SET title = 'behind the counter'; " +
            'ALTER TABLE todos ENABLE TRIGGER todos_revision_on_change',
        );
        expect(await titles(first)).toEqual(['one']);
        expect(await titles(uncached)).toEqual(['behind the counter']);
      } finally {
        await uncached.close();
      }
    });

    it('never serves a list older than an acknowledged write, under concurrent writers and readers on two processes', async () => {
      const apps = [first, second];
      await Promise.all(
        Array.from({ length: 20 }, async (_, writer) => {
          const app = apps[writer % 2];
          const todo = await create(app, `todo ${writer}`);
          // Read from the other process right after the acknowledgement.
          const list = await request(apps[(writer + 1) % 2].baseUrl, 'GET', '/api/v1/todos');
          expect((list.json as { id: number }[]).map((item) => item.id)).toContain(todo.id);
        }),
      );
      const fromDatabase: { id: number }[] = await first.dataSource.query('SELECT id FROM todos ORDER BY id');
      for (const app of apps) {
        const list = await request(app.baseUrl, 'GET', '/api/v1/todos');
        expect((list.json as { id: number }[]).map((todo) => todo.id)).toEqual(fromDatabase.map((row) => row.id));
      }
    });
  });

  describe('paging with limit and after_id', () => {
    beforeEach(async () => {
      for (const title of ['a', 'b', 'c', 'd', 'e']) await create(first, title, title === 'b' || title === 'd');
    });

    const follow = async (path: string) => {
      const pages: string[][] = [];
      let next: string | undefined = path;
      while (next !== undefined) {
        const page = await request(first.baseUrl, 'GET', next);
        expect(page.status).toBe(200);
        pages.push((page.json as { title: string }[]).map((todo) => todo.title));
        const link = page.headers.get('link');
        next = link === null ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)![1];
        expect(pages.length).toBeLessThan(10);
      }
      return pages;
    };

    it('follows Link rel="next" through every page, and the last page has no Link', async () => {
      expect(await follow('/api/v1/todos?limit=2')).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    });

    it('gives no Link when the page ends exactly at the last todo', async () => {
      expect(await follow('/api/v1/todos?limit=5')).toEqual([['a', 'b', 'c', 'd', 'e']]);
      expect(await follow('/api/v1/todos?limit=1&after_id=4')).toEqual([['e']]);
    });

    it('keeps the filters in the next link', async () => {
      const first_page = await request(first.baseUrl, 'GET', '/api/v1/todos?completed=false&limit=1');
      expect(first_page.headers.get('link')).toBe('</api/v1/todos?completed=false&limit=1&after_id=1>; rel="next"');
      expect(await follow('/api/v1/todos?completed=false&limit=2')).toEqual([['a', 'c'], ['e']]);
      expect(await follow('/api/v1/todos?completed=true&limit=1')).toEqual([['b'], ['d']]);
    });

    it('answers after_id alone with every todo after it, and an empty page past the end', async () => {
      expect(await follow('/api/v1/todos?after_id=3')).toEqual([['d', 'e']]);
      expect(await follow('/api/v1/todos?after_id=99')).toEqual([[]]);
    });

    it('rejects a bad limit or after_id with 400 naming it', async () => {
      for (const [query, field] of [
        ['limit=0', 'limit'],
        ['limit=1001', 'limit'],
        ['limit=two', 'limit'],
        ['after_id=-1', 'after_id'],
        ['after_id=2147483648', 'after_id'],
        ['after_id=1.5', 'after_id'],
      ]) {
        const answer = await request(first.baseUrl, 'GET', `/api/v1/todos?${query}`);
        expect({ query, status: answer.status }).toEqual({ query, status: 400 });
        expect(JSON.stringify(answer.json)).toContain(field);
      }
    });
  });

  describe(`a table larger than one answer (${MAX_PAGE_SIZE} todos)`, () => {
    // Two answers' worth and a bit: the odd ids (completed = false) alone overflow one answer.
    const TOTAL = 2 * MAX_PAGE_SIZE + 205;
    beforeEach(() =>
      first.dataSource.query(
        `INSERT INTO todos (title, completed) SELECT 'todo ' || n, n % 2 = 0 FROM generate_series(1, ${TOTAL}) AS n`,
      ),
    );

    const ids = (json: unknown) => (json as { id: number }[]).map((todo) => todo.id);

    it('answers the unpaged list with its first todos and a Link to the rest, from the cache too', async () => {
      for (const app of [first, first, second]) {
        const whole = await request(app.baseUrl, 'GET', '/api/v1/todos');
        expect(whole.status).toBe(200);
        expect(ids(whole.json)).toEqual(Array.from({ length: MAX_PAGE_SIZE }, (_, i) => i + 1));
        expect(whole.headers.get('link')).toBe(`</api/v1/todos?after_id=${MAX_PAGE_SIZE}>; rel="next"`);
        expect(whole.headers.get('etag')).toMatch(/^"\d+"$/);
      }
      const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
      const nextPage = await request(first.baseUrl, 'GET', `/api/v1/todos?after_id=${MAX_PAGE_SIZE}`);
      expect(ids(nextPage.json)).toEqual(range(MAX_PAGE_SIZE + 1, 2 * MAX_PAGE_SIZE));
      expect(nextPage.headers.get('link')).toBe(`</api/v1/todos?after_id=${2 * MAX_PAGE_SIZE}>; rel="next"`);
      const last = await request(first.baseUrl, 'GET', `/api/v1/todos?after_id=${2 * MAX_PAGE_SIZE}`);
      expect(ids(last.json)).toEqual(range(2 * MAX_PAGE_SIZE + 1, TOTAL));
      expect(last.headers.get('link')).toBeNull();
    });

    it('caps a filtered list, a window and an after_id without limit alike, keeping the filter in the Link', async () => {
      const open = await request(first.baseUrl, 'GET', '/api/v1/todos?completed=false');
      expect(ids(open.json)).toHaveLength(MAX_PAGE_SIZE);
      expect(open.headers.get('link')).toBe(
        `</api/v1/todos?completed=false&after_id=${2 * MAX_PAGE_SIZE - 1}>; rel="next"`,
      );
      const pages = await request(first.baseUrl, 'GET', '/api/v1/todos?after_id=0');
      expect(ids(pages.json)).toHaveLength(MAX_PAGE_SIZE);
      expect(pages.headers.get('link')).toBe(`</api/v1/todos?after_id=${MAX_PAGE_SIZE}>; rel="next"`);
      await first.dataSource.query("UPDATE todos SET deadline_at = now() + interval '1 day'");
      const due = await request(first.baseUrl, 'GET', '/api/v1/todos?window=7');
      expect(ids(due.json)).toHaveLength(MAX_PAGE_SIZE);
      expect(due.headers.get('link')).toBe(`</api/v1/todos?window=7&after_id=${MAX_PAGE_SIZE}>; rel="next"`);
    });
  });
});
