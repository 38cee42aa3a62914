import { request } from '../support/http';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestApp, type TestApp, workerDatabaseUrl } from '../support/test-app';

describe('health', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  const logged: string[] = [];

  beforeAll(async () => {
    proxy = await TcpProxy.start(workerDatabaseUrl());
    t = await startTestApp(
      { DATABASE_URL: proxy.urlFor(workerDatabaseUrl()), LOG_LEVEL: 'warn' },
      { logTo: { write: (line: string) => void logged.push(line) } },
    );
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

  it('GET /health/ready answers 503 with a generic JSON error when the database does not, the reason going to the log; liveness stays 200', async () => {
    proxy.cut();
    const ready = await request(t.baseUrl, 'GET', '/api/v1/health/ready', { headers: { 'x-request-id': 'not-ready' } });
    expect(ready.status).toBe(503);
    // Nothing of the database's own error (its host, address, port or user) reaches the caller.
    expect(ready.json).toEqual({ error: 'Not ready: the database does not answer' });
    const { port, username } = new URL(proxy.urlFor(workerDatabaseUrl()));
    for (const secret of [port, username, '127.0.0.1', 'ECONN']) expect(ready.text).not.toContain(secret);
    const warning = logged
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.request_id === 'not-ready' && line.location === 'HealthController');
    expect(warning).toMatchObject({ level: 'warn', message: expect.stringMatching(/^Not ready: database: .+/) });
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
