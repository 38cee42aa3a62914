import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort } from '@app/database';
import { Client } from 'pg';
import { request } from '../support/http';
import { type LogLine, type ServiceProcess, spawnService } from '../support/service-process';
import { TcpProxy } from '../support/tcp-proxy';
import { workerDatabaseUrl } from '../support/test-app';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TODOS = '/api/v1/todos';

/** Waits until the service has written the finish line of every request id given. */
async function finished(service: ServiceProcess, ids: string[]): Promise<LogLine[]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const lines = service.logLines();
    const done = new Set(lines.filter((line) => line.message === 'Request finished').map((line) => line.request_id));
    if (ids.every((id) => done.has(id))) return lines;
    await sleep(50);
  }
  throw new Error(`no finish line for some of ${ids.join(', ')}:\n${service.output()}`);
}

const ofRequest = (lines: LogLine[], id: string) => lines.filter((line) => line.request_id === id);

describe('request tracing in the logs', () => {
  let service: ServiceProcess;
  let baseUrl: string;
  let proxy: TcpProxy;

  beforeAll(async () => {
    // Through a relay, so that a test can cut the database.
    proxy = await TcpProxy.start(workerDatabaseUrl());
    // With start lines, so that every request's lines can be checked from its first.
    service = spawnService({
      DATABASE_URL: proxy.urlFor(workerDatabaseUrl()),
      DB_CONNECT_RETRIES: '0',
      LOG_REQUEST_START: 'true',
    });
    baseUrl = await service.listening;
  });
  afterAll(async () => {
    service.child.kill('SIGTERM');
    await service.exited;
    await proxy.close();
  });

  it('writes every stdout line as one JSON object of the log schema, start-up lines included', async () => {
    await request(baseUrl, 'GET', '/api/v1/health', { headers: { 'x-request-id': 'schema-check' } });
    const lines = await finished(service, ['schema-check']);
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(line).toMatchObject({
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        level: expect.stringMatching(/^(debug|info|warn|error|fatal)$/),
        pid: expect.any(Number),
        location: expect.any(String),
        message: expect.any(String),
      });
      // The process's own lines name it; a request's lines name the request instead (the process is the same).
      const names = ['service', 'version', 'hostname'].filter((field) => field in line);
      if (line.request_id === undefined) {
        expect(line).toMatchObject({
          service: 'taskoverflow',
          version: expect.stringMatching(/^\d+\.\d+\.\d+/),
          hostname: expect.any(String),
        });
      } else {
        expect(names).toEqual([]);
      }
    }
    const locations = new Set(lines.map((line) => line.location));
    for (const location of ['NestFactory', 'RouterExplorer', 'bootstrap', 'http', 'Database', 'Migrations']) {
      expect(locations).toContain(location);
    }
    expect(lines.find((line) => /listening on/.test(line.message))?.location).toBe('bootstrap');
  });

  it('follows 50 concurrent requests each by its own id, from first line to last SQL statement', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `concurrent-${i}`);
    const responses = await Promise.all(
      ids.map((id, i) =>
        i % 2
          ? request(baseUrl, 'GET', TODOS, { headers: { 'x-request-id': id } })
          : request(baseUrl, 'POST', TODOS, { json: { title: id }, headers: { 'x-request-id': id } }),
      ),
    );
    expect(responses.map((response) => response.headers.get('x-request-id'))).toEqual(ids);
    const lines = await finished(service, ids);
    for (const [i, id] of ids.entries()) {
      const own = ofRequest(lines, id);
      const messages = own.map((line) => line.message);
      // A list checks the change counter, then renders when the todos changed
      // since this process cached them; concurrent lists share those
      // statements, which are logged under the request that ran them.
      const queries = i % 2 ? Array(messages.length - 2).fill('Query') : ['Query'];
      expect(queries.length).toBeLessThanOrEqual(2);
      expect(messages).toEqual(['Request started', ...queries, 'Request finished']);
      for (const line of own) {
        expect(line).toMatchObject({ method: i % 2 ? 'GET' : 'POST', url: TODOS });
      }
      const sql = own.slice(1, -1);
      for (const statement of sql) {
        // A list's statements: the revision check (no parameter), the render (its cap).
        const renders = /LIMIT \$1/.test(String(statement.query));
        expect(statement).toMatchObject({
          location: 'sql',
          handler: i % 2 ? 'TodosController.list' : 'TodosController.create',
          query: expect.stringMatching(i % 2 ? /FROM todos/ : /^INSERT INTO todos /),
          duration_ms: expect.any(Number),
          parameter_count: i % 2 ? (renders ? 1 : 0) : 4,
        });
        expect(statement).not.toHaveProperty('parameters');
      }
    }
    const listStatements = lines.filter(
      (line) => line.location === 'sql' && ids.filter((_, i) => i % 2).includes(String(line.request_id)),
    );
    expect(listStatements.length).toBeGreaterThanOrEqual(1);
    // No statement issued during these requests went unattributed.
    const during = lines.slice(lines.findIndex((line) => line.request_id === ids[0]));
    expect(during.filter((line) => line.location === 'sql' && !line.request_id)).toEqual([]);
  });

  it('keeps the id of a POST with a body on every line, through body parsing', async () => {
    const id = 'post-with-body';
    const response = await request(baseUrl, 'POST', TODOS, {
      json: { title: 'traced', description: 'x'.repeat(100), deadline_at: '2030-01-01T00:00:00' },
      headers: { 'x-request-id': id },
    });
    expect(response.status).toBe(201);
    const own = ofRequest(await finished(service, [id]), id);
    expect(own.map((line) => [line.location, line.message])).toEqual([
      ['http', 'Request started'],
      ['sql', 'Query'],
      ['http', 'Request finished'],
    ]);
    expect(own[2]).toMatchObject({
      status_code: 201,
      route: TODOS,
      handler: 'TodosController.create',
      response_bytes: Buffer.byteLength(response.text),
      duration_ms: expect.any(Number),
    });
  });

  describe('the correlation id', () => {
    it.each([
      ['absent', undefined],
      ['too long (129 characters)', 'a'.repeat(129)],
      ['with a space', 'abc def'],
      ['with quotes (log injection)', 'a"},"level":"fatal'],
      ['empty', ''],
    ])('is a new UUID v4 when the header is %s', async (_, header) => {
      const response = await request(baseUrl, 'GET', '/api/v1/health', {
        headers: header === undefined ? {} : { 'x-request-id': header },
      });
      const id = response.headers.get('x-request-id') ?? '';
      expect(id).toMatch(UUID_V4);
      const own = ofRequest(await finished(service, [id]), id);
      expect(own.map((line) => line.message)).toEqual(['Request started', 'Request finished']);
    });

    it('is taken from the header when it is 1-128 characters of [A-Za-z0-9._:-]', async () => {
      const id = `Ab9._:-${'x'.repeat(121)}`;
      expect(id).toHaveLength(128);
      const response = await request(baseUrl, 'GET', '/api/v1/health', { headers: { 'x-request-id': id } });
      expect(response.headers.get('x-request-id')).toBe(id);
      expect(ofRequest(await finished(service, [id]), id)).toHaveLength(2);
    });

    it.each<[string, string, string, Parameters<typeof request>[3], number]>([
      ['200', 'GET', TODOS, {}, 200],
      ['400 (validation)', 'POST', TODOS, { json: { title: '' } }, 400],
      ['400 (malformed JSON)', 'POST', TODOS, { body: '{', headers: { 'content-type': 'application/json' } }, 400],
      ['404 (unknown route)', 'GET', '/api/v1/nowhere', {}, 404],
      ['404 (no such todo)', 'GET', `${TODOS}/999999`, {}, 404],
      ['413', 'POST', TODOS, { json: { title: 'x'.repeat(20_000) } }, 413],
    ])(
      'is echoed on a %s, which has exactly one start and one finish line',
      async (label, method, path, options, status) => {
        const id = `echo-${label.replace(/\W+/g, '-')}`;
        const response = await request(baseUrl, method, path, {
          ...options,
          headers: { ...options?.headers, 'x-request-id': id },
        });
        expect(response.status).toBe(status);
        expect(response.headers.get('x-request-id')).toBe(id);
        const own = ofRequest(await finished(service, [id]), id);
        expect(own.filter((line) => line.message === 'Request started')).toHaveLength(1);
        const finish = own.filter((line) => line.message === 'Request finished');
        expect(finish).toHaveLength(1);
        expect(finish[0]).toMatchObject({
          status_code: status,
          level: status >= 400 ? 'warn' : 'info',
          location: 'http',
          method,
          url: path,
        });
      },
    );
  });

  it('names the client on the finish line: the address the load balancer reports and the User-Agent', async () => {
    // TRUST_PROXY_HOPS=1: the last X-Forwarded-For entry is the ALB's view; earlier ones are the client's to forge.
    await request(baseUrl, 'GET', TODOS, {
      headers: { 'x-request-id': 'who-1', 'x-forwarded-for': '198.51.100.7, 203.0.113.9', 'user-agent': 'k6/1.0' },
    });
    await request(baseUrl, 'GET', TODOS, {
      headers: { 'x-request-id': 'who-2', 'user-agent': `bloat-${'x'.repeat(1000)}` },
    });
    const lines = await finished(service, ['who-1', 'who-2']);
    const finish = (id: string) => ofRequest(lines, id).find((line) => line.message === 'Request finished');
    expect(finish('who-1')).toMatchObject({ client_ip: '203.0.113.9', user_agent: 'k6/1.0' });
    expect(finish('who-2')).toMatchObject({ client_ip: '127.0.0.1' });
    expect(String(finish('who-2')?.user_agent)).toHaveLength(257);
  });

  it('logs trace_id from a valid W3C traceparent, and nothing from an invalid one', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await request(baseUrl, 'GET', TODOS, {
      headers: { 'x-request-id': 'traced-w3c', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    await request(baseUrl, 'GET', TODOS, {
      headers: { 'x-request-id': 'untraced-w3c', traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` },
    });
    const lines = await finished(service, ['traced-w3c', 'untraced-w3c']);
    const traced = ofRequest(lines, 'traced-w3c');
    expect(traced).toHaveLength(3);
    expect(traced.every((line) => line.trace_id === traceId)).toBe(true);
    expect(ofRequest(lines, 'untraced-w3c').some((line) => 'trace_id' in line)).toBe(false);
  });

  it('logs a failed query at error with the PostgreSQL error code, under the request id', async () => {
    // The schema refuses every value the table cannot store, so a trigger stands in for a
    // data exception (class 22) that only PostgreSQL sees.
    const admin = new Client({ connectionString: workerDatabaseUrl() });
    await admin.connect();
    await admin.query(`CREATE FUNCTION refuse_title() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused by a test trigger' USING ERRCODE = '22023'; END $$`);
    await admin.query(
      "CREATE TRIGGER refuse_title BEFORE INSERT ON todos FOR EACH ROW WHEN (NEW.title = 'refused') EXECUTE FUNCTION refuse_title()",
    );
    try {
      const id = 'failing-sql';
      const response = await request(baseUrl, 'POST', TODOS, {
        json: { title: 'refused' },
        headers: { 'x-request-id': id },
      });
      expect(response.status).toBe(400);
      // PostgreSQL's own message stays in the log: it may quote the schema or other rows.
      expect(response.json).toEqual({
        error: 'The database cannot store a value of this request',
        details: [{ field: 'body', message: 'a value is out of what the database can store' }],
      });
      expect(response.text).not.toContain('refused by a test trigger');
      const failed = ofRequest(await finished(service, [id]), id).find((line) => line.location === 'sql');
      expect(failed).toMatchObject({ level: 'error', message: 'Query failed', error_code: '22023' });
    } finally {
      await admin.query('DROP TRIGGER refuse_title ON todos');
      await admin.query('DROP FUNCTION refuse_title()');
      await admin.end();
    }
  });

  it('logs an unexpected error with err.type, message and stack, and answers without them', async () => {
    // A table gone missing (42P01) is a fault, not a passing condition: 500, its stack in the log.
    const admin = new Client({ connectionString: workerDatabaseUrl() });
    await admin.connect();
    await admin.query('ALTER TABLE todos RENAME TO todos_gone');
    try {
      const id = 'table-gone';
      const response = await request(baseUrl, 'GET', `${TODOS}/1`, { headers: { 'x-request-id': id } });
      expect(response.status).toBe(500);
      expect(response.json).toEqual({ error: 'Internal server error' });
      const own = ofRequest(await finished(service, [id]), id);
      const error = own.find((line) => line.location === 'HttpErrorFilter');
      expect(error).toMatchObject({
        level: 'error',
        err: { type: expect.any(String), message: expect.any(String), stack: expect.stringMatching(/\n\s+at /) },
      });
      // The statement is there, its values are not (LOG_SQL_PARAMETERS is off).
      expect(error).toMatchObject({ err: { query: expect.stringMatching(/FROM todos WHERE/) } });
      expect(error!.err).not.toHaveProperty('parameters');
      expect(own.find((line) => line.message === 'Request finished')).toMatchObject({
        level: 'error',
        status_code: 500,
      });
    } finally {
      await admin.query('ALTER TABLE todos_gone RENAME TO todos');
      await admin.end();
    }
  });

  it('logs a request failed by a database outage as one warning with the reason, no stack, and answers 503', async () => {
    proxy.cut();
    try {
      const id = 'database-down';
      const response = await request(baseUrl, 'GET', TODOS, { headers: { 'x-request-id': id } });
      expect(response.status).toBe(503);
      expect(response.json).toEqual({ error: 'The database is unavailable; try again shortly' });
      const own = ofRequest(await finished(service, [id]), id);
      const warning = own.find((line) => line.location === 'HttpErrorFilter');
      expect(warning).toMatchObject({
        level: 'warn',
        message: expect.stringMatching(/^The database is unavailable; try again shortly \(.+\)$/),
      });
      expect(warning).not.toHaveProperty('err');
      expect(own.find((line) => line.message === 'Request finished')).toMatchObject({
        level: 'error',
        status_code: 503,
      });
    } finally {
      proxy.restore();
    }
  });

  it('lives through a connection breaking under a statement of a route: that request gets 503, the next one is served', async () => {
    const created = await request(baseUrl, 'POST', TODOS, { json: { title: 'under a broken connection' } });
    const locker = new Client({ connectionString: workerDatabaseUrl() });
    await locker.connect();
    try {
      // Hold the table so the request's statement is in flight when its connection breaks.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE todos IN ACCESS EXCLUSIVE MODE');
      const pending = request(baseUrl, 'GET', `${TODOS}/${created.json.id}`, { headers: { 'x-request-id': 'broken' } });
      await sleep(200);
      proxy.cut();
      proxy.restore();
      expect((await pending).status).toBe(503);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect((await request(baseUrl, 'GET', `${TODOS}/${created.json.id}`)).status).toBe(200);
    expect(service.child.exitCode).toBeNull();
  });

  it('marks each statement with a sqlcommenter comment naming the request, visible in pg_stat_activity', async () => {
    const locker = new Client({ connectionString: workerDatabaseUrl() });
    // A connection of its own: pg_stat_activity is a snapshot for the length of a transaction.
    const observer = new Client({ connectionString: workerDatabaseUrl() });
    await Promise.all([locker.connect(), observer.connect()]);
    try {
      // Hold the table so the request's statement waits where pg_stat_activity shows it.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE todos IN ACCESS EXCLUSIVE MODE');
      // A window is never served from the list cache, so the request must read the table.
      const pending = request(baseUrl, 'GET', `${TODOS}?window=1`, { headers: { 'x-request-id': 'commented-1' } });
      let seen: string | undefined;
      for (let attempt = 0; attempt < 100 && !seen; attempt++) {
        const { rows } = await observer.query<{ query: string }>(
          "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        );
        seen = rows.find((row) => row.query.includes('commented-1'))?.query;
        if (!seen) await sleep(50);
      }
      await locker.query('ROLLBACK');
      expect((await pending).status).toBe(200);
      expect(seen).toMatch(/^\/\*request_id='commented-1'\*\/ (WITH|SELECT) .*FROM todos/s);
    } finally {
      await Promise.all([locker.end(), observer.end()]);
    }
  });
});

describe('logging settings', () => {
  const run = async (env: Record<string, string>, id: string) => {
    const service = spawnService({ DATABASE_URL: workerDatabaseUrl(), ...env });
    try {
      const baseUrl = await service.listening;
      await request(baseUrl, 'POST', TODOS, { json: { title: 'settings' }, headers: { 'x-request-id': id } });
      return ofRequest(await finished(service, [id]), id);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  };

  it('LOG_SQL_PARAMETERS=true adds the parameter values', async () => {
    const sql = (await run({ LOG_SQL_PARAMETERS: 'true' }, 'with-parameters')).find((line) => line.location === 'sql');
    expect(sql?.parameters).toEqual(['settings', null, false, null]);
  });

  it('LOG_SQL=false leaves query lines out; without LOG_REQUEST_START a request writes no start line', async () => {
    const own = await run({ LOG_SQL: 'false' }, 'without-sql');
    expect(own.map((line) => line.message)).toEqual(['Request finished']);
  });

  it('a query slower than SLOW_QUERY_MS is logged at warn', async () => {
    const sql = (await run({ SLOW_QUERY_MS: '0' }, 'slow-sql')).find((line) => line.location === 'sql');
    expect(sql).toMatchObject({ level: 'warn', message: 'Query', slow: true });
  });

  it('LOG_LEVEL=warn leaves info lines out', async () => {
    const service = spawnService({
      DATABASE_URL: workerDatabaseUrl(),
      LOG_LEVEL: 'warn',
      PORT: String(await findFreePort()),
    });
    try {
      const baseUrl = await service.listening;
      const response = await request(baseUrl, 'GET', '/api/v1/nowhere', { headers: { 'x-request-id': 'quiet' } });
      expect(response.status).toBe(404);
      const own = ofRequest(await finished(service, ['quiet']), 'quiet');
      expect(own.map((line) => line.message)).toEqual(['Request finished']);
      expect(service.logLines().filter((line) => line.level === 'info')).toEqual([]);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });

  it('LOG_LEVEL=loud stops the service with a JSON line naming the variable', async () => {
    const service = spawnService({ DATABASE_URL: workerDatabaseUrl(), LOG_LEVEL: 'loud' });
    expect((await service.exited).code).toBe(1);
    expect(service.logLines()).toEqual([
      expect.objectContaining({ level: 'fatal', location: 'bootstrap', message: expect.stringMatching(/LOG_LEVEL: /) }),
    ]);
  });
});
