#!/usr/bin/env node
// Runs one k6 scenario against TaskOverflow:
//
//   npm run loadtest -- <scenario> [k6 run arguments]
//   npm run loadtest -- smoke
//   npm run loadtest -- planners-and-studiers --summary-mode=full
//   ENDPOINT=https://… npm run loadtest -- stress
//
// <scenario> is a file k6/<scenario>.ts. With ENDPOINT set, only k6 runs,
// against that endpoint. Without it, this script first starts the built
// service (`npm run build` first) on a free port of 127.0.0.1, with its JSON
// logs in <results>/<scenario>.service.log, waits until
// GET /api/v1/health/ready answers 200, runs k6 against it, then stops it
// (SIGTERM, and waits). The service is never left running: Ctrl+C (SIGINT),
// SIGTERM and SIGHUP are passed to k6, which stops and writes its summary,
// and then the service is stopped too. Without DATABASE_URL the service runs
// its embedded PostgreSQL (data in .data/postgres, or DB_EMBEDDED_DIR).
//
// Environment:
//   ENDPOINT       use this service instead of starting one
//   K6_BIN         the k6 executable (default: k6 on PATH)
//   RESULTS_DIR    where summaries and the service log go (default k6/results)
//   LOG_LEVEL      the started service's log level (default info)
//   READY_TIMEOUT  seconds to wait for the started service to be ready (default 120)
//   and every knob of the scenarios (STUDIERS, PLANNERS, ITERATIONS, DURATION_SCALE, THINK_SCALE, …)
//
// Exit status: k6's (0, or 99 when a threshold was crossed, …); 2 for a usage
// error (unknown scenario, service not built); 3 when k6 is not installed;
// 4 when the service did not start; 128+n when stopped by signal n first.
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const K6_DIR = path.join(ROOT, 'k6');
const SERVICE_ENTRY = path.join(ROOT, 'dist', 'apps', 'taskoverflow', 'src', 'main.js');
const IS_WINDOWS = process.platform === 'win32';
// Children in their own process groups (POSIX): a Ctrl+C at the terminal then
// reaches this script only, which passes it on exactly once.
const DETACH = !IS_WINDOWS;

const EXIT_USAGE = 2;
const EXIT_NO_K6 = 3;
const EXIT_SERVICE = 4;

const INSTALL_K6 = [
  'Install k6 1.x (https://grafana.com/docs/k6/latest/set-up/install-k6/):',
  '  macOS: brew install k6   Windows: winget install k6 --source winget',
  "  Debian/Ubuntu, Fedora: Grafana's package repository (see that page), or a release binary",
  '  from https://github.com/grafana/k6/releases put on PATH (or named by K6_BIN).',
  'Or run k6 in docker against the compose stack:',
  '  docker compose -f docker/docker-compose.yml --profile loadtest run --rm k6 run /k6/<scenario>.ts',
].join('\n');

function say(message) {
  process.stderr.write(`loadtest: ${message}\n`);
}

function fail(code, message) {
  say(message);
  process.exit(code);
}

/** An environment variable, undefined when unset or empty (as the service reads them). */
function env(name) {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function relative(file) {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

// ---------------------------------------------------------------------------
// Arguments

function scenarios() {
  return readdirSync(K6_DIR)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => name.slice(0, -'.ts'.length))
    .sort();
}

function usage() {
  return [
    'usage: npm run loadtest -- <scenario> [k6 run arguments]',
    `scenarios (k6/<scenario>.ts): ${scenarios().join(', ')}`,
    'ENDPOINT=<url> runs against that service instead of starting the built one.',
  ].join('\n');
}

function parseArguments(argv) {
  const [first, ...k6Args] = argv;
  if (first === undefined) fail(EXIT_USAGE, `which scenario?\n${usage()}`);
  if (first === '-h' || first === '--help') {
    process.stdout.write(`${usage()}\n`);
    process.exit(0);
  }
  // Accept `smoke`, `smoke.ts` and `k6/smoke.ts`.
  const scenario = path.basename(first).replace(/\.ts$/, '');
  const known = scenarios();
  if (!known.includes(scenario)) {
    fail(EXIT_USAGE, `unknown scenario "${first}"; the scenarios are: ${known.join(', ')}\n${usage()}`);
  }
  return { scenario, k6Args };
}

// ---------------------------------------------------------------------------
// k6

function isExecutable(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, IS_WINDOWS ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findK6() {
  const fromEnv = env('K6_BIN');
  if (fromEnv !== undefined) {
    if (isExecutable(fromEnv)) return fromEnv;
    fail(EXIT_NO_K6, `K6_BIN is "${fromEnv}", which is not an executable file.\n${INSTALL_K6}`);
  }
  const extensions = IS_WINDOWS ? (env('PATHEXT') ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const extension of extensions) {
      const candidate = path.join(dir, `k6${extension}`);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return fail(EXIT_NO_K6, `k6 was not found on PATH (nor set by K6_BIN), so no test was run.\n${INSTALL_K6}`);
}

// ---------------------------------------------------------------------------
// Child processes and signals

function running(child) {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

function waitForExit(child, timeoutMs) {
  return new Promise((resolve) => {
    if (!running(child)) return resolve(true);
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      if (timer !== undefined) clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Sends a signal to a child, or with `group` to its whole process group (the embedded PostgreSQL too). */
function signal(child, name, group = false) {
  if (!running(child)) return;
  try {
    if (group && DETACH) process.kill(-child.pid, name);
    else child.kill(name);
  } catch {
    // already gone
  }
}

function exitCodeOf(code, signalName) {
  if (code !== null) return code;
  return 128 + (osConstants.signals[signalName] ?? 1);
}

let service; // the started service, while it may be running
let k6; // k6, while it runs
let stopRequested; // the signal that asked us to stop before k6 ran
const stopListeners = new Set();

function onSignal(name) {
  if (running(k6)) {
    // k6 stops gracefully on the first signal (and writes its summary), at
    // once on the second; on Windows the console already sent it to k6.
    if (DETACH) signal(k6, name);
    return;
  }
  if (stopRequested !== undefined) {
    // A second signal while stopping: no more waiting.
    say(`${name} again: killing the service`);
    signal(service, 'SIGKILL', true);
    process.exit(exitCodeOf(null, name));
  }
  stopRequested = name;
  for (const listener of stopListeners) listener(name);
}

for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(name, () => onSignal(name));

// Last resort (an unexpected exception): never leave the service behind.
process.on('exit', () => signal(service, 'SIGKILL', true));

// ---------------------------------------------------------------------------
// The service

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function tail(file, lines = 20) {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text === '' ? '(empty)' : text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(none)';
  }
}

function startService(port, logFile, errorFile) {
  const out = openSync(logFile, 'w');
  const err = openSync(errorFile, 'w');
  try {
    return spawn(process.execPath, [SERVICE_ENTRY], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: env('LOG_LEVEL') ?? 'info',
      },
      stdio: ['ignore', out, err],
      detached: DETACH,
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when /health/ready answers 200; rejects when the service dies, time runs out, or a signal came. */
async function waitUntilReady(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  let interrupted;
  const listener = (name) => {
    interrupted = name;
  };
  stopListeners.add(listener);
  try {
    while (Date.now() < deadline) {
      const stop = interrupted ?? stopRequested;
      if (stop !== undefined) throw Object.assign(new Error(`${stop} received`), { signal: stop });
      if (!running(child)) {
        throw new Error(`the service exited (${child.exitCode ?? child.signalCode}) before it was ready`);
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        const body = await response.text();
        if (response.status === 200) return;
        last = `HTTP ${response.status} ${body.slice(0, 200)}`;
      } catch (error) {
        last = error?.cause?.code ?? error?.message ?? String(error);
      }
      await delay(250);
    }
    throw new Error(`the service was not ready within ${timeoutMs / 1000} s (last answer: ${last})`);
  } finally {
    stopListeners.delete(listener);
  }
}

async function stopService() {
  if (!running(service)) return;
  say('stopping the service (SIGTERM)');
  signal(service, 'SIGTERM');
  const drainMs = Number(env('SHUTDOWN_TIMEOUT_MS') ?? 25_000);
  const stopped = await waitForExit(service, (Number.isFinite(drainMs) ? drainMs : 25_000) + 15_000);
  if (!stopped) {
    say('the service did not stop in time: killing it');
    signal(service, 'SIGKILL', true);
    await waitForExit(service, 5_000);
  }
}

// ---------------------------------------------------------------------------
// Main

function runK6(k6Bin, scenario, k6Args, environment) {
  const script = path.join('k6', `${scenario}.ts`);
  say(`k6 run ${script}${k6Args.length > 0 ? ` ${k6Args.join(' ')}` : ''} (ENDPOINT=${environment.ENDPOINT})`);
  return new Promise((resolve) => {
    k6 = spawn(k6Bin, ['run', script, ...k6Args], {
      cwd: ROOT,
      env: environment,
      stdio: 'inherit',
      detached: DETACH,
    });
    k6.on('error', (error) => {
      say(`could not run k6 (${k6Bin}): ${error.message}\n${INSTALL_K6}`);
      resolve(EXIT_NO_K6);
    });
    k6.on('exit', (code, signalName) => resolve(exitCodeOf(code, signalName)));
  });
}

async function main() {
  const { scenario, k6Args } = parseArguments(process.argv.slice(2));
  const k6Bin = findK6();

  const resultsDir = path.resolve(env('RESULTS_DIR') ?? path.join(K6_DIR, 'results'));
  mkdirSync(resultsDir, { recursive: true });
  const k6Environment = { ...process.env, RESULTS_DIR: resultsDir };

  const endpoint = env('ENDPOINT');
  if (endpoint !== undefined) {
    return runK6(k6Bin, scenario, k6Args, { ...k6Environment, ENDPOINT: endpoint });
  }

  if (!existsSync(SERVICE_ENTRY)) {
    fail(
      EXIT_USAGE,
      `the service is not built (${relative(SERVICE_ENTRY)} is missing): run \`npm run build\` first, ` +
        'or set ENDPOINT to test a running service.',
    );
  }
  const readyTimeout = Number(env('READY_TIMEOUT') ?? 120);
  if (!Number.isFinite(readyTimeout) || readyTimeout <= 0) {
    fail(EXIT_USAGE, `READY_TIMEOUT must be a number of seconds above 0; got "${env('READY_TIMEOUT')}"`);
  }

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = path.join(resultsDir, `${scenario}.service.log`);
  const errorFile = path.join(resultsDir, `${scenario}.service.stderr.log`);
  say(`starting the service on ${base} (JSON logs: ${relative(logFile)})`);
  const started = Date.now();
  service = startService(port, logFile, errorFile);

  try {
    await waitUntilReady(`${base}/api/v1/health/ready`, service, readyTimeout * 1000);
  } catch (error) {
    if (error.signal !== undefined) {
      await stopService();
      return exitCodeOf(null, error.signal);
    }
    say(`${error.message}\n--- ${relative(logFile)} (last lines)\n${tail(logFile)}\n--- ${relative(errorFile)}\n${tail(errorFile)}`);
    await stopService();
    return EXIT_SERVICE;
  }
  say(`the service is ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (stopRequested !== undefined) {
    await stopService();
    return exitCodeOf(null, stopRequested);
  }

  let code;
  try {
    code = await runK6(k6Bin, scenario, k6Args, { ...k6Environment, ENDPOINT: base });
  } finally {
    await stopService();
  }
  say(
    `service log: ${relative(logFile)}; one request's lines: ` +
      `jq -c 'select(.request_id == "<id>")' ${relative(logFile)}`,
  );
  return code;
}

main().then(
  (code) => process.exit(code),
  async (error) => {
    say(`failed: ${error?.stack ?? error}`);
    await stopService().catch(() => {});
    process.exit(1);
  },
);
