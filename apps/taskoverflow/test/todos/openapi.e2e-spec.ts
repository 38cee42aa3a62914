import { INPUT_TIMESTAMP } from '../../src/common/input-patterns';
import { request } from '../support/http';
import { startTestApp, type TestApp } from '../support/test-app';
import { CreateTodoSchema, ListTodosQuerySchema, TodoSchema, UpdateTodoSchema } from '../../src/todos/dto/todo.schema';

/** Drops TypeBox's symbol keys, as JSON serialisation does. */
const asJson = (schema: unknown) => JSON.parse(JSON.stringify(schema));

describe('OpenAPI document', () => {
  let t: TestApp;
  let document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

  beforeAll(async () => {
    t = await startTestApp();
    const response = await request(t.baseUrl, 'GET', '/api/docs/openapi.json');
    expect(response.status).toBe(200);
    document = response.json;
  });
  afterAll(() => t.close());

  it('is OpenAPI 3.1 and lists every route', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/v1/health',
      '/api/v1/health/ready',
      '/api/v1/todos',
      '/api/v1/todos/{id}',
    ]);
    expect(Object.keys(document.paths['/api/v1/todos'])).toEqual(['get', 'post']);
    expect(Object.keys(document.paths['/api/v1/todos/{id}'])).toEqual(['get', 'put', 'delete']);
  });

  it('documents request bodies with the schemas that validate them', () => {
    const body = (path: string, method: string) =>
      document.paths[path][method].requestBody.content['application/json'].schema;
    expect(body('/api/v1/todos', 'post')).toEqual(asJson(CreateTodoSchema));
    expect(body('/api/v1/todos/{id}', 'put')).toEqual(asJson(UpdateTodoSchema));
  });

  it('documents the query, the path parameter and the responses', () => {
    const list = document.paths['/api/v1/todos'].get;
    expect(list.parameters.map((p: { name: string; in: string }) => [p.in, p.name])).toEqual([
      ['header', 'X-Request-Id'],
      ['query', 'completed'],
      ['query', 'window'],
      ['query', 'limit'],
      ['query', 'after_id'],
      ['header', 'If-None-Match'],
    ]);
    expect(Object.keys(list.responses).sort()).toEqual(['200', '304', '400', '429', '503']);
    expect(Object.keys(list.responses['200'].headers).sort()).toEqual([
      'Cache-Control',
      'ETag',
      'Link',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'X-Request-Id',
    ]);
    expect(list.parameters[2].schema).toEqual(asJson(ListTodosQuerySchema.properties.window));
    expect(list.responses['200'].content['application/json'].schema.items).toEqual(asJson(TodoSchema));
    const get = document.paths['/api/v1/todos/{id}'].get;
    expect(get.parameters[1]).toMatchObject({
      in: 'path',
      name: 'id',
      required: true,
      schema: { type: 'integer', minimum: 1, maximum: 2147483647 },
    });
    expect(Object.keys(get.responses).sort()).toEqual(['200', '400', '404', '429', '503']);
  });

  it('documents every status and header the service answers with', () => {
    const operations = Object.values(document.paths).flatMap((path) => Object.values(path as object));
    for (const operation of operations) {
      for (const response of Object.values<{ headers: object }>(operation.responses)) {
        expect(Object.keys(response.headers)).toContain('X-Request-Id');
      }
    }
    const create = document.paths['/api/v1/todos'].post.responses;
    expect(create['201'].headers.Location.schema).toMatchObject({ type: 'string' });
    expect(create['429'].headers['Retry-After']).toBeDefined();
    expect(document.paths['/api/v1/health'].get.responses['429']).toBeUndefined();
    // DELETE answers the removed todo, or `{}` when there was none: both are in the document.
    const deleted = document.paths['/api/v1/todos/{id}'].delete.responses['200'].content['application/json'].schema;
    expect(deleted.anyOf).toEqual([
      asJson(TodoSchema),
      { type: 'object', title: 'NoTodo', additionalProperties: false, properties: {} },
    ]);
  });

  it('declares only patterns that compile as Unicode regular expressions, without surrogate escapes', () => {
    const patterns: string[] = [];
    JSON.stringify(document, (key, value) => {
      if (key === 'pattern') patterns.push(value);
      return value;
    });
    expect(patterns.length).toBeGreaterThanOrEqual(4);
    for (const pattern of patterns) {
      expect(() => new RegExp(pattern, 'u')).not.toThrow();
      expect(pattern).not.toMatch(/\\u[dD][89a-fA-F]/);
    }
    // The deadline is a string pattern, not `format: date-time`: what matches it is what is stored.
    const deadline =
      document.paths['/api/v1/todos'].post.requestBody.content['application/json'].schema.properties.deadline_at;
    expect(deadline).toMatchObject({ type: ['string', 'null'], pattern: INPUT_TIMESTAMP });
    expect(deadline.format).toBeUndefined();
  });

  it('serves the Swagger UI at /api/docs', async () => {
    const response = await request(t.baseUrl, 'GET', '/api/docs');
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/swagger-ui/i);
  });
});
