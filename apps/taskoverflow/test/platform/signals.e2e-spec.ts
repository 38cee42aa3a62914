import { collect, RawConnection, sendOnNewConnection, statuses } from '../support/raw-http';
import { type ServiceProcess, spawnService } from '../support/service-process';
import { workerDatabaseUrl } from '../support/test-app';

const LIST = 'GET /api/v1/todos HTTP/1.1\r\nHost: localhost\r\n\r\n';

/**
 * Requests whose bytes reached the service before it was told to stop get
 * their normal answers, however they came: on fresh connections (some still
 * in the kernel's accept queue), on keep-alive connections, pipelined.
 */
describe.each([
  ['one process', '1'],
  ['WEB_CONCURRENCY=2', '2'],
])('SIGTERM with requests already sent (%s)', (_name, workers) => {
  let service: ServiceProcess;
  let baseUrl: string;
  beforeEach(async () => {
    service = spawnService({ DATABASE_URL: workerDatabaseUrl(), WEB_CONCURRENCY: workers, LOG_SQL: 'false' });
    baseUrl = await service.listening;
    // Every worker serving, not only the first.
    await service.waitForOutput(
      new RegExp(Array.from({ length: Number(workers) }, () => 'listening on').join('[\\s\\S]*')),
    );
  });
  afterEach(async () => {
    service.child.kill('SIGKILL');
    await service.exited;
  });

  it('answers 60 requests sent on fresh connections just before the signal, then exits 0', async () => {
    const sockets = await Promise.all(Array.from({ length: 60 }, () => sendOnNewConnection(baseUrl, LIST)));
    const outcomes = Promise.all(sockets.map((socket) => collect(socket, 1)));
    service.child.kill('SIGTERM');
    const answered = await outcomes;
    expect(statuses(answered)).toBe('200×60');
    expect((await service.exited).code).toBe(0);
  });

  it('answers requests sent on keep-alive connections just before the signal, then closes them', async () => {
    const connections = await Promise.all(Array.from({ length: 20 }, () => RawConnection.open(baseUrl)));
    for (const connection of connections) connection.write(LIST);
    for (const connection of connections) expect((await connection.response()).status).toBe(200);
    const outcomes = connections.map((connection) => collect(connection.socket, 1));
    for (const connection of connections) connection.write(LIST);
    await new Promise((resolve) => setImmediate(resolve));
    service.child.kill('SIGTERM');
    expect(statuses(await Promise.all(outcomes))).toBe('200×20');
    expect((await service.exited).code).toBe(0);
  });

  it('answers every pipelined request sent just before the signal', async () => {
    const sockets = await Promise.all(Array.from({ length: 10 }, () => sendOnNewConnection(baseUrl, LIST.repeat(3))));
    const outcomes = Promise.all(sockets.map((socket) => collect(socket, 3)));
    service.child.kill('SIGTERM');
    expect(statuses(await outcomes)).toBe('200×30');
    expect((await service.exited).code).toBe(0);
  });
});
