import { type EmbeddedPostgres, type EmbeddedPostgresOptions, startEmbeddedPostgres } from './embedded-postgres';
import type { SupervisorReport, SupervisorRequest } from './postgres-supervisor';

/*
 * The process that owns an embedded PostgreSQL server for the service (see
 * postgres-supervisor.ts). It runs in a session of its own, so neither it nor
 * the server gets the terminal's Ctrl-C or SIGHUP; it stops the server when
 * the service asks, and when the service is gone (its IPC channel closed:
 * the service exited, crashed or was killed), then exits.
 */

function report(message: SupervisorReport): void {
  if (process.connected) process.send?.(message);
}

const logger = {
  log: (message: string) => report({ kind: 'log', level: 'log', message }),
  warn: (message: string) => report({ kind: 'log', level: 'warn', message }),
  error: (message: string) => report({ kind: 'log', level: 'error', message }),
};

let server: EmbeddedPostgres | undefined;
let starting = false;
let stopRequested = false;

async function stopAndExit(): Promise<void> {
  if (stopRequested) return;
  stopRequested = true;
  // Still starting: start() stops the server once it is up.
  if (starting) return;
  let code = 0;
  try {
    await server?.stop();
    report({ kind: 'stopped' });
  } catch (error) {
    report({ kind: 'failed', message: `Stopping PostgreSQL failed: ${String(error)}` });
    code = 1;
  }
  process.exit(code);
}

async function start(options: EmbeddedPostgresOptions): Promise<void> {
  starting = true;
  try {
    server = await startEmbeddedPostgres(options, logger);
  } catch (error) {
    report({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  starting = false;
  if (stopRequested) {
    stopRequested = false;
    return stopAndExit();
  }
  report({ kind: 'started', url: server.url, adminUrl: server.adminUrl, dataDir: server.dataDir });
}

process.on('message', (request: SupervisorRequest) => {
  if (request.kind === 'start') void start(request.options);
  else void stopAndExit();
});
process.once('disconnect', () => void stopAndExit());
// Sent by hand or by a process manager: stop cleanly all the same.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => void stopAndExit());
}
