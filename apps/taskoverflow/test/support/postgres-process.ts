import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const EMBEDDED_POSTGRES = path.resolve(__dirname, '../../../../dist/libs/database/src/embedded-postgres.js');

/*
 * Runs in a child Node process: embedded-postgres is ESM, which Jest's module
 * system cannot require (the global setup runs outside it, tests do not).
 * SIGTERM stops the server as the service does (SIGINT to PostgreSQL: its
 * fast shutdown, which ends every session), then exits.
 */
const SCRIPT = `
const { startEmbeddedPostgres } = require(process.env.EMBEDDED_POSTGRES);
startEmbeddedPostgres(JSON.parse(process.env.OPTIONS)).then(
  (server) => {
    process.stdout.write('READY ' + server.url + '\\n');
    process.once('SIGTERM', () => server.stop().then(() => process.exit(0)));
  },
  (error) => {
    process.stderr.write(String(error) + '\\n');
    process.exit(1);
  },
);
`;

export interface PostgresProcess {
  /** postgres:// URL of `database` on the server. */
  url: string;
  /** Stops PostgreSQL (fast shutdown) and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * A PostgreSQL server of a test's own, which it may stop and start again on
 * the same port and data directory (kept across restarts). The data
 * directory's parents must be enterable by the user postgres when run as root.
 */
export async function startPostgresProcess(options: {
  dataDir: string;
  port: number;
  database: string;
}): Promise<PostgresProcess> {
  if (!existsSync(EMBEDDED_POSTGRES)) {
    throw new Error(`${EMBEDDED_POSTGRES} is missing: npm test builds it first (npm run build)`);
  }
  const child = spawn(process.execPath, ['-e', SCRIPT], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      EMBEDDED_POSTGRES,
      OPTIONS: JSON.stringify(options),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^READY (\S+)$/m.exec(output);
      if (ready) resolve(ready[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => reject(new Error(`PostgreSQL did not start:\n${output}`)));
  });
  return { url, stop: () => stop(child, exited) };
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await exited;
}
