import { Logger } from '@nestjs/common';
import { fork } from 'node:child_process';
import type { Socket } from 'node:net';
import path from 'node:path';
import type { EmbeddedPostgres, EmbeddedPostgresOptions } from './embedded-postgres';

export type SupervisorRequest = { kind: 'start'; options: EmbeddedPostgresOptions } | { kind: 'stop' };

export type SupervisorReport =
  | { kind: 'started'; url: string; adminUrl: string; dataDir: string }
  | { kind: 'stopped' }
  | { kind: 'failed'; message: string }
  | { kind: 'log'; level: 'log' | 'warn' | 'error'; message: string };

const SUPERVISOR = path.join(__dirname, 'postgres-supervisor.process.js');

/**
 * Starts embedded PostgreSQL under a supervisor process in a session of its
 * own. In the service's process group the server would get the terminal's
 * Ctrl-C with everything else and shut down while the HTTP server was still
 * draining, failing the last requests; here it gets no terminal signal and
 * is stopped by stop(), after the drain. The supervisor also stops it when
 * this process is gone, however it ended (SIGKILL, a crash), through the
 * closing of their IPC channel. The server's log lines come back through
 * that channel to `logger`.
 */
export function startSupervisedPostgres(
  options: EmbeddedPostgresOptions,
  logger = new Logger('EmbeddedPostgres'),
): Promise<EmbeddedPostgres> {
  const supervisor = fork(SUPERVISOR, [], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  supervisor.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => supervisor.once('exit', (code) => resolve(code)));
  let failure: string | undefined;
  supervisor.on('message', (report: SupervisorReport) => {
    if (report.kind === 'log') logger[report.level](report.message);
    if (report.kind === 'failed') failure = report.message;
  });

  return new Promise((resolve, reject) => {
    // Once resolved, the promise ignores this.
    void exited.then((code) =>
      reject(new Error(failure ?? `The PostgreSQL supervisor exited (${code}) while starting: ${stderr.trim()}`)),
    );
    supervisor.on('message', (report: SupervisorReport) => {
      if (report.kind !== 'started') return;
      // The supervisor does not keep this process alive; the channel closing at exit is its signal to stop.
      setReferenced(false);
      resolve({
        url: report.url,
        adminUrl: report.adminUrl,
        dataDir: report.dataDir,
        stop: async () => {
          setReferenced(true);
          if (supervisor.connected) supervisor.send({ kind: 'stop' } satisfies SupervisorRequest);
          const code = await exited;
          if (code !== 0) {
            throw new Error(failure ?? `The PostgreSQL supervisor exited with ${code}`);
          }
        },
      });
    });
    supervisor.send({ kind: 'start', options } satisfies SupervisorRequest);
  });

  function setReferenced(referenced: boolean): void {
    // stderr is a pipe: a net.Socket.
    for (const handle of [supervisor, supervisor.channel, supervisor.stderr as Socket | null]) {
      if (referenced) handle?.ref();
      else handle?.unref();
    }
  }
}
