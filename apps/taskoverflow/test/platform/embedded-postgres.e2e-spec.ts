import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from '../support/http';
import { type ServiceProcess, spawnService } from '../support/service-process';
import { isAlive, waitFor } from '../support/processes';

/** The pid in PostgreSQL's lock file: there while the server runs, removed when it stops cleanly. */
async function postmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    return Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return undefined;
  }
}

/** A client writing todos one after another on a keep-alive connection until the service stops answering. */
async function writeUntilRefused(baseUrl: string): Promise<{ statuses: number[]; ids: number[]; error: string }> {
  const statuses: number[] = [];
  const ids: number[] = [];
  for (let i = 0; ; i++) {
    try {
      const response = await request(baseUrl, 'POST', '/api/v1/todos', { json: { title: `write ${i}` } });
      statuses.push(response.status);
      if (response.status === 201) ids.push((response.json as { id: number }).id);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { statuses, ids, error: cause?.code ?? String(error) };
    }
  }
}

/**
 * `npm start` with no database configured runs PostgreSQL itself. That
 * server lives outside the service's process group, so a terminal's Ctrl-C
 * reaches the service only, and it is stopped after the service has drained;
 * it never outlives the service.
 */
describe('embedded PostgreSQL and the service lifecycle', () => {
  let dir: string;
  let dataDir: string;
  const running: ServiceProcess[] = [];
  const start = (env: Record<string, string>, options?: { processGroup?: boolean }) => {
    const service = spawnService({ DB_EMBEDDED_DIR: dataDir, ...env }, options);
    running.push(service);
    return service;
  };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'taskoverflow-supervised-'));
    // As root, PostgreSQL runs as the user postgres, who must be able to enter it.
    await chmod(dir, 0o755);
    dataDir = path.join(dir, 'postgres');
  });
  afterEach(async () => {
    for (const service of running.splice(0)) {
      if (service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGKILL');
        await service.exited;
      }
    }
    // Whatever a test left behind, the next one starts without a server.
    await waitFor(async () => (await postmasterPid(dataDir)) === undefined, 'PostgreSQL to stop');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('Ctrl-C during writes (WEB_CONCURRENCY=2): every write is answered 201, PostgreSQL stops last, and the data holds exactly the answered writes', async () => {
    const service = start({ WEB_CONCURRENCY: '2' }, { processGroup: true });
    const baseUrl = await service.listening;
    await service.waitForOutput(/listening on[\s\S]*listening on/);
    const writers = Array.from({ length: 20 }, () => writeUntilRefused(baseUrl));
    await sleep(500);
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
    process.kill(-service.child.pid!, 'SIGINT');
    const results = await Promise.all(writers);

    const statuses = results.flatMap((result) => result.statuses);
    expect(statuses.filter((status) => status !== 201)).toEqual([]);
    expect(statuses.length).toBeGreaterThan(20);
    // A writer ends only when its next request, sent after the signal on a new connection, finds no
    // listener: refused, or (two workers) closed unread when the primary had accepted the connection
    // just as the last worker closed (reset, or undici's "other side closed" when the request was
    // already written). Never a 503, and never a lost write: the data below holds exactly the
    // answered writes.
    for (const result of results) expect(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(result.error);
    expect((await service.exited).code).toBe(0);
    expect(await postmasterPid(dataDir)).toBeUndefined();
    const lines = service.logLines().map((line) => line.message);
    expect(lines.lastIndexOf('Stopped')).toBe(lines.length - 1);

    const again = start({});
    const list = await request(await again.listening, 'GET', '/api/v1/todos');
    const stored = (list.json as { id: number }[]).map((todo) => todo.id).sort((a, b) => a - b);
    expect(stored).toEqual(results.flatMap((result) => result.ids).sort((a, b) => a - b));
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  }, 90_000);

  it('the service killed outright (SIGKILL): PostgreSQL is stopped all the same', async () => {
    const service = start({});
    await service.listening;
    const postgres = await postmasterPid(dataDir);
    expect(postgres).toBeDefined();
    service.child.kill('SIGKILL');
    await service.exited;
    await waitFor(async () => (await postmasterPid(dataDir)) === undefined, `PostgreSQL (pid ${postgres}) to stop`);
  }, 60_000);

  it('a server left running (its supervisor killed too) is stopped on the next start, saying so, and the service starts', async () => {
    const first = start({});
    await first.listening;
    const leftover = (await postmasterPid(dataDir))!;
    const supervisor = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(leftover)], { encoding: 'utf8' }));
    process.kill(supervisor, 'SIGKILL');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(isAlive(leftover)).toBe(true);

    const second = start({});
    const baseUrl = await second.listening;
    expect(second.output()).toContain(`A PostgreSQL server left running by an earlier run (pid ${leftover}, port `);
    expect(await postmasterPid(dataDir)).not.toBe(leftover);
    expect((await request(baseUrl, 'GET', '/api/v1/health/ready')).status).toBe(200);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 60_000);
});
