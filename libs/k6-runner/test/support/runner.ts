import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const RUNNER = path.resolve(__dirname, '../../../../dist/libs/k6-runner/src/cli/k6.js');
export const FIXTURES = path.resolve(__dirname, '../fixtures');

export interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** What the script logged with console.* (--console-output), one entry per line. */
  console: string[];
  /** The --summary-export file, when the run wrote one. */
  summary: SummaryExport | undefined;
}

export interface SummaryExport {
  metrics: Record<string, Record<string, number> & { thresholds?: Record<string, boolean> }>;
  root_group: { groups: Record<string, unknown>; checks: Record<string, { passes: number; fails: number }> };
}

/** The built runner (`npm run build`) as its own process, as `npm run k6` runs it. */
export function startRunner(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<RunOutcome> } {
  if (!existsSync(RUNNER)) throw new Error(`${RUNNER} is missing: npm test builds it first (npm run build)`);
  const dir = mkdtempSync(path.join(tmpdir(), 'k6-runner-'));
  const consoleFile = path.join(dir, 'console.log');
  const summaryFile = path.join(dir, 'summary.json');
  const child = spawn(
    process.execPath,
    [RUNNER, 'run', '--console-output', consoleFile, '--summary-export', summaryFile, ...args],
    {
      cwd: FIXTURES,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<RunOutcome>((resolve) => {
    child.once('close', (code, signal) => {
      const read = (file: string): string | undefined => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);
      const consoleText = read(consoleFile) ?? '';
      const summaryText = read(summaryFile);
      rmSync(dir, { recursive: true, force: true });
      resolve({
        code,
        signal,
        stdout,
        stderr,
        console: consoleText.split('\n').filter((line) => line !== ''),
        summary: summaryText === undefined ? undefined : (JSON.parse(summaryText) as SummaryExport),
      });
    });
  });
  return { child, done };
}

export function runRunner(args: string[], env: Record<string, string> = {}): Promise<RunOutcome> {
  return startRunner(args, env).done;
}

/** The JSON objects a script logged with console.log(JSON.stringify(...)). */
export function loggedJson<T = Record<string, unknown>>(outcome: RunOutcome): T[] {
  return outcome.console.flatMap((line) => {
    const start = line.indexOf('{');
    const end = line.lastIndexOf('}');
    if (start < 0 || end < start) return [];
    try {
      return [JSON.parse(line.slice(start, end + 1)) as T];
    } catch {
      return [];
    }
  });
}

export interface TestServer {
  base: string;
  server: Server;
  /** Requests seen, by path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(text);
}

/** A plain HTTP server for the scripts: echo, JSON, redirects, slow answers, statuses, bytes, cookies. */
export async function startTestServer(): Promise<TestServer> {
  const hits = new Map<string, number>();
  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const redirect = /^\/redirect\/(\d+)$/.exec(url.pathname);
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (url.pathname === '/echo') {
      send(res, 200, { method: req.method, url: req.url, headers: req.headers, body });
    } else if (url.pathname === '/json') {
      send(res, 200, { items: [{ name: 'first' }, { name: 'second' }], meta: { total: 2 } });
    } else if (redirect !== null) {
      const left = Number(redirect[1]);
      if (left === 0) send(res, 200, { arrived: true });
      else send(res, 302, {}, { Location: `/redirect/${left - 1}` });
    } else if (url.pathname === '/slow') {
      setTimeout(() => send(res, 200, { slept: true }), Number(url.searchParams.get('ms') ?? '100'));
    } else if (status !== null) {
      send(res, Number(status[1]), { status: Number(status[1]) });
    } else if (url.pathname === '/bytes') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(Buffer.from([0, 1, 2, 255]));
    } else if (url.pathname === '/cookie/set') {
      send(res, 200, {}, { 'Set-Cookie': ['flavour=chocolate; Path=/', 'size=large; Path=/'] });
    } else {
      send(res, 404, { error: 'no such route' });
    }
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    server,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
