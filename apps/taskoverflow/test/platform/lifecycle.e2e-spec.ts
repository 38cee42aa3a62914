import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { request } from '../support/http';
import { type ServiceProcess, spawnService } from '../support/service-process';
import { TcpProxy } from '../support/tcp-proxy';
import { workerDatabaseUrl } from '../support/test-app';

/** The built service as a process: configuration, waiting for the database, shutdown, zero-setup run. */
describe('service lifecycle', () => {
  const running: ServiceProcess[] = [];
  const start = (env: Record<string, string>) => {
    const service = spawnService(env);
    running.push(service);
    return service;
  };
  afterEach(async () => {
    for (const service of running.splice(0)) {
      if (service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGKILL');
        await service.exited;
      }
    }
  });

  describe('configuration', () => {
    it.each([
      ['PORT', 'abc'],
      ['PORT', '65536'],
      ['DB_POOL_SIZE', '0'],
      ['DB_SSL', 'yes'],
      ['DATABASE_URL', 'mysql://localhost/db'],
    ])('%s=%s stops the service with a message naming the variable', async (name, value) => {
      const service = start({ DATABASE_URL: workerDatabaseUrl(), [name]: value });
      expect((await service.exited).code).toBe(1);
      expect(service.output()).toMatch(new RegExp(`Invalid \\w+ configuration: ${name}: `));
    });

    it.each(['1', '2'])(
      'a PORT already in use stops the service (WEB_CONCURRENCY=%s) with what to do, exit 1',
      async (workers) => {
        const taken = createServer();
        await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
        const { port } = taken.address() as AddressInfo;
        try {
          const service = start({ DATABASE_URL: workerDatabaseUrl(), PORT: String(port), WEB_CONCURRENCY: workers });
          expect((await service.exited).code).toBe(1);
          const fatal = service.logLines().filter((line) => line.level === 'fatal');
          expect(fatal[0]).toMatchObject({ message: `PORT ${port} is in use: set PORT to another port` });
          expect(fatal[0].err).toBeUndefined();
        } finally {
          // The test's wait for readiness asked the other server, which never answers: cut it off.
          taken.closeAllConnections();
          await new Promise((resolve) => taken.close(resolve));
        }
      },
    );
  });

  describe('waiting for the database', () => {
    let proxy: TcpProxy;
    beforeEach(async () => {
      proxy = await TcpProxy.start(workerDatabaseUrl(), false);
    });
    afterEach(() => proxy.close());

    it('retries a bounded number of times, then exits non-zero naming the database', async () => {
      const service = start({
        DATABASE_URL: proxy.urlFor(workerDatabaseUrl()),
        DB_CONNECT_RETRIES: '2',
        DB_CONNECT_RETRY_DELAY_MS: '100',
      });
      expect((await service.exited).code).toBe(1);
      const output = service.output();
      expect(output).toMatch(/does not answer \(attempt 1 of 3\)/);
      expect(output).toMatch(/does not answer \(attempt 2 of 3\)/);
      expect(output).toMatch(
        new RegExp(`Database 127\\.0\\.0\\.1:${proxy.port}/test_\\d+ did not answer after 3 attempt\\(s\\)`),
      );
      expect(output).not.toMatch(/postgres:\/\/[^@\s]*:[^@\s]*@/);
    });

    it('starts once a late database answers', async () => {
      const service = start({
        DATABASE_URL: proxy.urlFor(workerDatabaseUrl()),
        DB_CONNECT_RETRIES: '50',
        DB_CONNECT_RETRY_DELAY_MS: '100',
      });
      await service.waitForOutput(/does not answer \(attempt 1 of 51\)/);
      proxy.restore();
      const baseUrl = await service.listening;
      expect((await request(baseUrl, 'GET', '/api/v1/health/ready')).status).toBe(200);
    });
  });

  it('SIGTERM lets an in-flight request finish, then exits 0', async () => {
    const service = start({ DATABASE_URL: workerDatabaseUrl() });
    const baseUrl = new URL(await service.listening);
    const body = JSON.stringify({ title: 'sent during shutdown' });

    // The request's headers now; its body only after SIGTERM has arrived. The
    // server's "100 Continue" proves it is handling the request when the signal comes.
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: baseUrl.hostname,
          port: baseUrl.port,
          method: 'POST',
          path: '/api/v1/todos',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            expect: '100-continue',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.on('continue', () => {
        service.child.kill('SIGTERM');
        void service.waitForOutput(/SIGTERM received/).then(() => setTimeout(() => req.end(body), 300));
      });
      req.flushHeaders();
    });

    const answered = await response;
    expect(answered.status).toBe(201);
    expect(JSON.parse(answered.body)).toMatchObject({ title: 'sent during shutdown' });
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(service.output()).toMatch(/SIGTERM received: draining in-flight requests/);
    await expect(fetch(`${baseUrl.origin}/api/v1/health`)).rejects.toThrow();
  });

  describe('zero-setup run on embedded PostgreSQL', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'taskoverflow-embedded-'));
      await chmod(dir, 0o755);
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('starts its own PostgreSQL when no database is configured, keeps the data across restarts, and stops it on SIGINT', async () => {
      const env = { DB_EMBEDDED_DIR: path.join(dir, 'postgres') };
      const first = start(env);
      const firstUrl = await first.listening;
      expect(first.output()).toMatch(/Creating a PostgreSQL cluster in/);
      const created = await request(firstUrl, 'POST', '/api/v1/todos', { json: { title: 'kept' } });
      expect(created.status).toBe(201);
      first.child.kill('SIGINT');
      expect((await first.exited).code).toBe(0);
      // PostgreSQL removes its pid file when it has shut down cleanly.
      await expect(stat(path.join(dir, 'postgres', 'postmaster.pid'))).rejects.toThrow();

      const second = start(env);
      const secondUrl = await second.listening;
      expect(second.output()).not.toMatch(/Creating a PostgreSQL cluster/);
      expect((await request(secondUrl, 'GET', '/api/v1/todos')).json).toEqual([created.json]);
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    }, 60_000);
  });
});

describe('several processes (WEB_CONCURRENCY)', () => {
  it('serves from N workers sharing DB_POOL_SIZE, replaces one that dies, and drains them all on SIGTERM', async () => {
    const service = spawnService({ DATABASE_URL: workerDatabaseUrl(), WEB_CONCURRENCY: '2', DB_POOL_SIZE: '4' });
    try {
      const baseUrl = await service.listening;
      await service.waitForOutput(/listening on[\s\S]*listening on/);
      const listeners = () =>
        service
          .logLines()
          .filter((line) => /listening on/.test(line.message))
          .map((line) => line.pid);
      const [first, second] = listeners();
      expect(first).not.toBe(second);

      const responses = await Promise.all(Array.from({ length: 20 }, () => request(baseUrl, 'GET', '/api/v1/todos')));
      expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
      const served = new Set(
        service
          .logLines()
          .filter((line) => line.message === 'Request finished')
          .map((line) => line.pid),
      );
      expect(served.size).toBeGreaterThanOrEqual(1);
      expect(service.output()).toMatch(/Started 2 worker processes with 2 database connections each/);
      const observer = new Client({ connectionString: workerDatabaseUrl() });
      await observer.connect();
      try {
        const { rows } = await observer.query<{ connections: number }>(
          "SELECT count(*)::int AS connections FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'taskoverflow'",
        );
        expect(rows[0].connections).toBeGreaterThanOrEqual(2);
        expect(rows[0].connections).toBeLessThanOrEqual(4);
      } finally {
        await observer.end();
      }

      process.kill(first as number, 'SIGKILL');
      await service.waitForOutput(/exited \(SIGKILL\); starting another/);
      await service.waitForOutput(/listening on[\s\S]*listening on[\s\S]*listening on/);
      expect((await request(baseUrl, 'GET', '/api/v1/health/ready')).status).toBe(200);

      service.child.kill('SIGTERM');
      expect((await service.exited).code).toBe(0);
      const stopped = service.logLines().filter((line) => line.message === 'Stopped');
      expect(stopped).toHaveLength(3);
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    }
  });

  it('stops with exit 1 when the workers cannot start', async () => {
    const service = spawnService({
      DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:1/none',
      DB_CONNECT_RETRIES: '0',
      WEB_CONCURRENCY: '2',
    });
    expect((await service.exited).code).toBe(1);
    expect(service.output()).toMatch(/exited during start-up \(1\); stopping/);
  });
});
