import { request } from '../support/http';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestApp, type TestApp, workerDatabaseUrl } from '../support/test-app';

describe('health', () => {
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    proxy = await TcpProxy.start(workerDatabaseUrl());
    t = await startTestApp({ DATABASE_URL: proxy.urlFor(workerDatabaseUrl()) });
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
  });
  afterEach(() => proxy.restore());

  it('GET /health answers 200 {"status":"ok"} (liveness)', async () => {
    const response = await request(t.baseUrl, 'GET', '/api/v1/health');
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: 'ok' });
  });

  it('GET /health/ready answers 200 while the database answers', async () => {
    const response = await request(t.baseUrl, 'GET', '/api/v1/health/ready');
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: 'ok' });
  });

  it('GET /health/ready answers 503 with a JSON reason when the database does not; liveness stays 200', async () => {
    proxy.cut();
    const ready = await request(t.baseUrl, 'GET', '/api/v1/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({
      error: 'Not ready: the database does not answer',
      details: [{ field: 'database', message: expect.any(String) }],
    });
    expect((await request(t.baseUrl, 'GET', '/api/v1/health')).status).toBe(200);
  });

  it('a todo request while the database is down is a 503 JSON error naming the database, and the service recovers', async () => {
    proxy.cut();
    const failed = await request(t.baseUrl, 'GET', '/api/v1/todos');
    expect(failed.status).toBe(503);
    expect(failed.json).toEqual({ error: 'The database is unavailable; try again shortly' });
    proxy.restore();
    const ready = await request(t.baseUrl, 'GET', '/api/v1/health/ready');
    expect(ready.status).toBe(200);
    expect((await request(t.baseUrl, 'GET', '/api/v1/todos')).status).toBe(200);
  });
});
