import { request } from './support/http';
import { startTestApp, type TestApp } from './support/test-app';
import {
  CreateTodoSchema,
  ListTodosQuerySchema,
  TodoSchema,
  UpdateTodoSchema,
} from '../src/todos/dto/todo.schema';

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
      ['query', 'completed'],
      ['query', 'window'],
      ['query', 'limit'],
      ['query', 'after_id'],
      ['header', 'If-None-Match'],
    ]);
    expect(Object.keys(list.responses).sort()).toEqual(['200', '304', '400', '503']);
    expect(Object.keys(list.responses['200'].headers).sort()).toEqual(['Cache-Control', 'ETag', 'Link']);
    expect(list.parameters[1].schema).toEqual(asJson(ListTodosQuerySchema.properties.window));
    expect(list.responses['200'].content['application/json'].schema.items).toEqual(asJson(TodoSchema));
    const get = document.paths['/api/v1/todos/{id}'].get;
    expect(get.parameters[0]).toMatchObject({
      in: 'path',
      name: 'id',
      required: true,
      schema: { type: 'integer', minimum: 1, maximum: 2147483647 },
    });
    expect(Object.keys(get.responses).sort()).toEqual(['200', '400', '404', '503']);
  });

  it('serves the Swagger UI at /api/docs', async () => {
    const response = await request(t.baseUrl, 'GET', '/api/docs');
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/swagger-ui/i);
  });
});
