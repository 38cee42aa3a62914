import { request } from '../support/http';
import { deleteAllTodos, startTestApp, type TestApp } from '../support/test-app';
import { expectTodo, expectTodoList } from '../support/todo-schema-check';

const TODOS = '/api/v1/todos';

describe('todos API', () => {
  let t: TestApp;
  const call = (method: string, path: string, json?: unknown) =>
    request(t.baseUrl, method, path, json === undefined ? {} : { json });
  const create = async (json: Record<string, unknown>) => {
    const response = await call('POST', TODOS, json);
    expect(response.status).toBe(201);
    return response.json;
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(() => deleteAllTodos(t.dataSource));

  describe('POST /todos', () => {
    it('creates a todo with defaults and answers 201 with it as JSON', async () => {
      const response = await call('POST', TODOS, { title: 'Write the report' });
      expect(response.status).toBe(201);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expectTodo(response.json);
      expect(response.json).toMatchObject({
        id: 1,
        title: 'Write the report',
        description: null,
        completed: false,
        deadline_at: null,
      });
      expect(response.json.created_at).toBe(response.json.updated_at);
    });

    it('names the new todo in a Location header that reads it back', async () => {
      for (const path of [TODOS, `${TODOS}/`, `${TODOS}?from=test`, `${TODOS}/?from=test`]) {
        const response = await call('POST', path, { title: 'Located' });
        expect(response.status).toBe(201);
        expect(response.headers.get('location')).toBe(`${TODOS}/${response.json.id}`);
        expect((await call('GET', response.headers.get('location') as string)).json).toEqual(response.json);
      }
    });

    it("stores every accepted field, as the practical's planners send them", async () => {
      const body = await create({
        title: 'CSSE6400 Clout Assignment',
        completed: true,
        description: '',
        deadline_at: '2023-12-04T14:00:00',
      });
      expect(body).toMatchObject({
        title: 'CSSE6400 Clout Assignment',
        completed: true,
        description: '',
        deadline_at: '2023-12-04T14:00:00',
      });
      expect((await call('GET', `${TODOS}/${body.id}`)).json).toEqual(body);
    });

    it('accepts the longest title and description', async () => {
      const body = await create({ title: 'é'.repeat(80), description: '😀'.repeat(120) });
      expect(body.title).toBe('é'.repeat(80));
      expect(body.description).toBe('😀'.repeat(120));
    });

    it('stamps created_at with the current UTC time, without an offset', async () => {
      const before = Date.now();
      const body = await create({ title: 'x' });
      const createdAt = Date.parse(`${body.created_at}Z`);
      expect(body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
      expect(createdAt).toBeGreaterThanOrEqual(before - 1000);
      expect(createdAt).toBeLessThanOrEqual(Date.now() + 1000);
    });
  });

  describe('timestamps', () => {
    it.each([
      ['2023-02-27T00:00:00', '2023-02-27T00:00:00'],
      ['2023-02-27T00:00:00Z', '2023-02-27T00:00:00'],
      ['2023-02-27T10:30:00+10:00', '2023-02-27T00:30:00'],
      ['2023-02-27T10:30:00+1000', '2023-02-27T00:30:00'],
      ['2023-02-26T20:00:00-05:00', '2023-02-27T01:00:00'],
      ['2023-02-27 00:00:00', '2023-02-27T00:00:00'],
      ['2023-02-27T00:00:00.5', '2023-02-27T00:00:00.500000'],
      ['2023-02-27T00:00:00.123456Z', '2023-02-27T00:00:00.123456'],
      ['2023-02-27T00:00:00.000', '2023-02-27T00:00:00'],
      ['2024-02-29T12:00:00', '2024-02-29T12:00:00'],
    ])('deadline %s is stored and rendered as %s', async (input, rendered) => {
      const body = await create({ title: 'x', deadline_at: input });
      expect(body.deadline_at).toBe(rendered);
      expect((await call('GET', `${TODOS}/${body.id}`)).json.deadline_at).toBe(rendered);
    });
  });

  describe('GET /todos', () => {
    it('answers an empty array when there are no todos', async () => {
      const response = await call('GET', TODOS);
      expect(response.status).toBe(200);
      expect(response.json).toEqual([]);
    });

    it('lists every todo in creation order', async () => {
      for (const title of ['c', 'a', 'b']) await create({ title });
      const response = await call('GET', TODOS);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expectTodoList(response.json);
      expect(response.json.map((todo: { title: string }) => todo.title)).toEqual(['c', 'a', 'b']);
      expect(response.json.map((todo: { id: number }) => todo.id)).toEqual([1, 2, 3]);
    });

    it('filters on completion', async () => {
      await create({ title: 'open' });
      await create({ title: 'done', completed: true });
      const titles = async (query: string) =>
        (await call('GET', `${TODOS}?${query}`)).json.map((todo: { title: string }) => todo.title);
      expect(await titles('completed=true')).toEqual(['done']);
      expect(await titles('completed=false')).toEqual(['open']);
    });

    it('keeps todos due within the window, leaving out those without a deadline', async () => {
      const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
      await create({ title: 'overdue', deadline_at: inDays(-3) });
      await create({ title: 'in 2 days', deadline_at: inDays(2) });
      await create({ title: 'in 10 days', deadline_at: inDays(10) });
      await create({ title: 'no deadline' });
      const titles = async (query: string) =>
        (await call('GET', `${TODOS}?${query}`)).json.map((todo: { title: string }) => todo.title);
      expect(await titles('window=0')).toEqual(['overdue']);
      expect(await titles('window=5')).toEqual(['overdue', 'in 2 days']);
      expect(await titles('window=30')).toEqual(['overdue', 'in 2 days', 'in 10 days']);
      expect(await titles('window=1000000')).toEqual(['overdue', 'in 2 days', 'in 10 days']);
    });

    it('combines both filters', async () => {
      const soon = new Date(Date.now() + 86_400_000).toISOString();
      await create({ title: 'soon open', deadline_at: soon });
      await create({ title: 'soon done', deadline_at: soon, completed: true });
      await create({ title: 'open, no deadline' });
      const response = await call('GET', `${TODOS}?completed=false&window=7`);
      expect(response.json.map((todo: { title: string }) => todo.title)).toEqual(['soon open']);
    });
  });

  describe('GET /todos/:id', () => {
    it('answers the todo', async () => {
      const created = await create({ title: 'x', description: 'y' });
      const response = await call('GET', `${TODOS}/${created.id}`);
      expect(response.status).toBe(200);
      expect(response.json).toEqual(created);
    });

    it('answers 404 with a JSON error for a todo that does not exist', async () => {
      const response = await call('GET', `${TODOS}/2147483647`);
      expect(response.status).toBe(404);
      expect(response.json).toEqual({ error: 'Todo not found' });
    });
  });

  describe('PUT /todos/:id', () => {
    it('changes only the given fields and moves updated_at', async () => {
      const created = await create({
        title: 'x',
        description: 'keep me',
        deadline_at: '2030-01-01T00:00:00',
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const response = await call('PUT', `${TODOS}/${created.id}`, { completed: true });
      expect(response.status).toBe(200);
      expectTodo(response.json);
      expect(response.json).toEqual({
        ...created,
        completed: true,
        updated_at: response.json.updated_at,
      });
      expect(response.json.updated_at > created.updated_at).toBe(true);
      expect((await call('GET', `${TODOS}/${created.id}`)).json).toEqual(response.json);
    });

    it('changes every field at once, and clears nullable ones with null', async () => {
      const created = await create({ title: 'x', description: 'd', deadline_at: '2030-01-01T00:00:00' });
      const response = await call('PUT', `${TODOS}/${created.id}`, {
        title: 'y',
        description: null,
        completed: true,
        deadline_at: null,
      });
      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({ title: 'y', description: null, completed: true, deadline_at: null });
    });

    it('converts a new deadline with an offset to UTC', async () => {
      const created = await create({ title: 'x' });
      const response = await call('PUT', `${TODOS}/${created.id}`, {
        deadline_at: '2030-06-01T12:00:00+02:00',
      });
      expect(response.json.deadline_at).toBe('2030-06-01T10:00:00');
    });

    it('answers 404 for a todo that does not exist, creating nothing', async () => {
      const response = await call('PUT', `${TODOS}/7`, { title: 'x' });
      expect(response.status).toBe(404);
      expect(response.json).toEqual({ error: 'Todo not found' });
      expect((await call('GET', TODOS)).json).toEqual([]);
    });
  });

  describe('DELETE /todos/:id', () => {
    it('answers the deleted todo, which is then gone', async () => {
      const created = await create({ title: 'x' });
      const response = await call('DELETE', `${TODOS}/${created.id}`);
      expect(response.status).toBe(200);
      expect(response.json).toEqual(created);
      expect((await call('GET', `${TODOS}/${created.id}`)).status).toBe(404);
    });

    it('answers 200 with {} when the todo does not exist (idempotent)', async () => {
      const created = await create({ title: 'x' });
      await call('DELETE', `${TODOS}/${created.id}`);
      const again = await call('DELETE', `${TODOS}/${created.id}`);
      expect(again.status).toBe(200);
      expect(again.json).toEqual({});
      expect(again.headers.get('content-type')).toMatch(/^application\/json/);
    });
  });

  it('keeps ids increasing after deletions (no id is reused)', async () => {
    const first = await create({ title: 'a' });
    await call('DELETE', `${TODOS}/${first.id}`);
    const second = await create({ title: 'b' });
    expect(second.id).toBeGreaterThan(first.id);
  });
});
