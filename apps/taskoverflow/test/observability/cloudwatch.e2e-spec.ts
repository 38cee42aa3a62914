import { FakeCloudWatchLogs } from '@test/logging/fake-cloudwatch-logs';
import { request } from '../support/http';
import { spawnService } from '../support/service-process';
import { workerDatabaseUrl } from '../support/test-app';

const GROUP = 'taskoverflow-e2e';
const STREAM = 'task-1';

/** The service shipping its own logs with the real AWS SDK, to a local CloudWatch Logs endpoint. */
describe('CloudWatch Logs shipping', () => {
  let cloudWatch: FakeCloudWatchLogs;
  const env = () => ({
    DATABASE_URL: workerDatabaseUrl(),
    ...cloudWatch.shippingEnv(GROUP, STREAM),
  });

  beforeEach(async () => {
    cloudWatch = await FakeCloudWatchLogs.start();
  });
  afterEach(() => cloudWatch.close());

  it('ships every stdout line, and flushes what it holds on SIGTERM', async () => {
    const service = spawnService(env());
    const baseUrl = await service.listening;
    const response = await request(baseUrl, 'POST', '/api/v1/todos', {
      json: { title: 'shipped' },
      headers: { 'x-request-id': 'shipped-1' },
    });
    expect(response.status).toBe(201);
    service.child.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);

    const stdout = service.logLines();
    const shipped = cloudWatch.messages(GROUP, STREAM).map((message) => JSON.parse(message) as unknown);
    expect(stdout.map((line) => line.message)).toContain('Stopped');
    expect(shipped).toEqual(stdout);
    // By default a request's lines are its work and its finish line (LOG_REQUEST_START off).
    expect(stdout.filter((line) => line.request_id === 'shipped-1').map((line) => line.message)).toEqual([
      'Query',
      'Request finished',
    ]);
    const events = cloudWatch.events(GROUP, STREAM);
    expect(events.map((event) => event.timestamp)).toEqual(stdout.map((line) => Date.parse(line.timestamp as string)));
  });

  it('keeps serving when CloudWatch is unreachable, and still exits cleanly', async () => {
    await cloudWatch.down();
    const service = spawnService(env());
    const baseUrl = await service.listening;
    expect((await request(baseUrl, 'GET', '/api/v1/health/ready')).status).toBe(200);
    expect((await request(baseUrl, 'POST', '/api/v1/todos', { json: { title: 'x' } })).status).toBe(201);
    service.child.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);
    expect(service.logLines().map((line) => line.message)).toContain('Stopped');
  });
});
