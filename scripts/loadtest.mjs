#!/usr/bin/env node
// Runs one k6 scenario against TaskOverflow:
//
//   npm run loadtest -- <scenario> [k6 run arguments]
//   npm run loadtest -- smoke
//   npm run loadtest -- planners-and-studiers --summary-mode=full
//   ENDPOINT=https://… npm run loadtest -- stress
//
// <scenario> is a file k6/<scenario>.ts. The engine is k6 when there is one
// (K6_BIN, else k6 on PATH), otherwise the project's k6-compatible runner
// (`npm run k6`, built by `npm run build`); the first line says which.
//
// With ENDPOINT set, only the engine runs, against that endpoint. Without it,
// this script first starts the built service (`npm run build` first) on a free
// port of 127.0.0.1, with its JSON logs in <results>/<scenario>.service.log,
// waits until GET /api/v1/health/ready answers 200, runs the test against it,
// then stops it (SIGTERM, and waits) and runs `npm run analyze` on its log,
// printing the verdict under the summary and writing the report page with its
// charts to <results>/<scenario>.report.html. The script's console lines (a failed
// check names the request's X-Request-Id) go to <results>/<scenario>.console.log;
// the failed ones are listed at the end with the `npm run trace` to follow one.
// The service is never left running: Ctrl+C (SIGINT), SIGTERM and SIGHUP are
// passed to the engine, which stops and writes its summary, and then the
// service is stopped too. Without DATABASE_URL the service runs its embedded
// PostgreSQL (data in .data/postgres, or DB_EMBEDDED_DIR).
//
// Environment:
//   ENDPOINT       use this service instead of starting one
//   K6_BIN         the k6 executable (default: k6 on PATH, else the runner)
//   RESULTS_DIR    where summaries and the service log go (default k6/results)
//   LOG_LEVEL      the started service's log level (default info)
//   API_KEY        sent by the scenarios as Authorization: Bearer; the started
//                  service is given it as its API key (API_KEYS)
//   READY_TIMEOUT  seconds to wait for the started service to be ready (default 120)
//   and every knob of the scenarios (STUDIERS, PLANNERS, ITERATIONS, DURATION_SCALE, THINK_SCALE, …)
//
// Exit status: the engine's (k6's codes: 0, or 99 when a threshold was
// crossed, …); 2 for a usage error (unknown scenario, not built); 3 when K6_BIN
// is not an executable; 4 when the service did not start; 128+n when stopped
// by signal n first.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitStatusOf } from './lib/exit-status.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const K6_DIR = path.join(ROOT, 'k6');
const SERVICE_ENTRY = path.join(ROOT, 'dist', 'apps', 'taskoverflow', 'src', 'main.js');
const SERVICE_RUNNER = path.join(ROOT, 'dist', 'libs', 'service-runner', 'src', 'index.js');
const RUNNER_ENTRY = path.join(ROOT, 'dist', 'libs', 'k6-runner', 'src', 'cli', 'k6.js');
const ANALYZE_ENTRY = path.join(ROOT, 'dist', 'libs', 'log-analysis', 'src', 'cli', 'analyze.js');
/** Failed-check lines shown after the run; the console log has them all. */
const FAILED_CHECKS_SHOWN = 5;
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

/** The engine: k6 (K6_BIN, else on PATH) or, without one, the project's k6-compatible runner. */
function findEngine() {
  const fromEnv = env('K6_BIN');
  if (fromEnv !== undefined) {
    if (isExecutable(fromEnv)) return { command: fromEnv, prefix: [], label: `k6 (${fromEnv}, from K6_BIN)` };
    fail(EXIT_NO_K6, `K6_BIN is "${fromEnv}", which is not an executable file.\n${INSTALL_K6}`);
  }
  const extensions = IS_WINDOWS ? (env('PATHEXT') ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const extension of extensions) {
      const candidate = path.join(dir, `k6${extension}`);
      if (isExecutable(candidate)) return { command: candidate, prefix: [], label: `k6 (${candidate})` };
    }
  }
  if (!existsSync(RUNNER_ENTRY)) {
    fail(
      EXIT_USAGE,
      `k6 is not installed and the project's runner is not built (${relative(RUNNER_ENTRY)}): run \`npm run build\` first.`,
    );
  }
  return {
    command: process.execPath,
    prefix: [RUNNER_ENTRY],
    label: "the project's k6-compatible runner (no k6 on PATH; install k6 or set K6_BIN to run real k6)",
  };
}

// ---------------------------------------------------------------------------
// Child processes and signals

function running(child) {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Sends a signal to a child process, if it still runs. */
function signal(child, name) {
  if (!running(child)) return;
  try {
    child.kill(name);
  } catch {
    // already gone
  }
}

let service; // the started service (@app/service-runner), while it may be running
let k6; // the engine, while it runs
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
    service?.kill('SIGKILL');
    process.exit(exitStatusOf(null, name));
  }
  stopRequested = name;
  for (const listener of stopListeners) listener(name);
}

for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(name, () => onSignal(name));

// Last resort (an unexpected exception): never leave the service behind.
process.on('exit', () => service?.kill('SIGKILL'));

// ---------------------------------------------------------------------------
// The service

function tail(file, lines = 20) {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text === '' ? '(empty)' : text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(none)';
  }
}

/** Resolves when /health/ready answers 200; rejects when the service dies, time runs out, or a signal came. */
async function waitUntilReady(base, timeoutMs) {
  const interrupted = new AbortController();
  const listener = (name) => interrupted.abort(name);
  stopListeners.add(listener);
  try {
    if (stopRequested !== undefined) interrupted.abort(stopRequested);
    await service.waitUntilReady(base, { timeoutMs, signal: interrupted.signal });
  } catch (error) {
    if (interrupted.signal.aborted)
      throw Object.assign(new Error(`${interrupted.signal.reason} received`), { signal: interrupted.signal.reason });
    throw error;
  } finally {
    stopListeners.delete(listener);
  }
}

async function stopService() {
  if (!service?.running()) return;
  say('stopping the service (SIGTERM)');
  const drainMs = Number(env('SHUTDOWN_TIMEOUT_MS') ?? 25_000);
  const timeoutMs = (Number.isFinite(drainMs) ? drainMs : 25_000) + 15_000;
  const timer = setTimeout(() => say('the service did not stop in time: killing it'), timeoutMs);
  await service.stop({ timeoutMs });
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------
// Main

function runK6(engine, scenario, k6Args, environment) {
  const script = path.join('k6', `${scenario}.ts`);
  say(`engine: ${engine.label}`);
  say(`k6 run ${script}${k6Args.length > 0 ? ` ${k6Args.join(' ')}` : ''} (ENDPOINT=${environment.ENDPOINT})`);
  return new Promise((resolve) => {
    k6 = spawn(engine.command, [...engine.prefix, 'run', script, ...k6Args], {
      cwd: ROOT,
      env: environment,
      stdio: 'inherit',
      detached: DETACH,
    });
    k6.on('error', (error) => {
      say(`could not run ${engine.label}: ${error.message}`);
      resolve(EXIT_NO_K6);
    });
    k6.on('exit', (code, signalName) => resolve(exitStatusOf(code, signalName)));
  });
}

// ---------------------------------------------------------------------------
// After the run: the failed checks and the log's verdict

/** The failed-check lines of the console log, each naming its request id. */
function reportFailedChecks(consoleLog, serviceLog) {
  let lines;
  try {
    lines = readFileSync(consoleLog, 'utf8')
      .split('\n')
      .filter((line) => line.includes('check failed'));
  } catch {
    return;
  }
  if (lines.length === 0) return;
  say(`${lines.length} failed check line${lines.length === 1 ? '' : 's'} (all in ${relative(consoleLog)}):`);
  for (const line of lines.slice(0, FAILED_CHECKS_SHOWN))
    process.stderr.write(`  ${line.replace(/^\S+\[\d+\]\s*/, '')}\n`);
  const id = /request_id=([A-Za-z0-9._:-]+)/.exec(lines[0])?.[1];
  if (id === undefined) return;
  const source =
    serviceLog === undefined ? "<the service's log file | --cloudwatch <log group>>" : relative(serviceLog);
  say(`follow one through the service: npm run trace -- ${id} ${source}`);
}

/** `npm run analyze` on the service's log: its summary and verdict, and its HTML report. */
function analyzeServiceLog(serviceLog, scenario, reportFile) {
  if (!existsSync(ANALYZE_ENTRY)) return;
  const result = spawnSync(
    process.execPath,
    [ANALYZE_ENTRY, serviceLog, '--html', reportFile, '--title', `TaskOverflow load test: ${scenario}`],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    say(`npm run analyze failed on ${relative(serviceLog)}: ${(result.stderr ?? '').trim()}`);
    return;
  }
  const report = result.stdout.trimEnd().split('\n');
  const summaryEnd = report.findIndex((line, i) => i > 0 && line.trim() === '');
  const verdict = report.filter((line) => line.startsWith('verdict:'));
  process.stderr.write(
    [
      '',
      `What the service's log says (npm run analyze -- ${relative(serviceLog)}):`,
      ...report.slice(0, summaryEnd < 0 ? report.length : summaryEnd).map((line) => `  ${line}`),
      ...verdict.map((line) => `  ${line}`),
      `  report with charts: ${relative(reportFile)}`,
      '',
    ].join('\n'),
  );
}

async function main() {
  const { scenario, k6Args } = parseArguments(process.argv.slice(2));
  const engine = findEngine();

  const resultsDir = path.resolve(env('RESULTS_DIR') ?? path.join(K6_DIR, 'results'));
  mkdirSync(resultsDir, { recursive: true });
  const k6Environment = { ...process.env, RESULTS_DIR: resultsDir };
  const consoleLog = path.join(resultsDir, `${scenario}.console.log`);
  const engineArgs = k6Args.some((arg) => arg.startsWith('--console-output'))
    ? k6Args
    : ['--console-output', consoleLog, ...k6Args];

  const endpoint = env('ENDPOINT');
  if (endpoint !== undefined) {
    const code = await runK6(engine, scenario, engineArgs, { ...k6Environment, ENDPOINT: endpoint });
    reportFailedChecks(consoleLog, undefined);
    return code;
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

  const { findFreePort, startService } = await import(SERVICE_RUNNER);
  const port = await findFreePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = path.join(resultsDir, `${scenario}.service.log`);
  const errorFile = path.join(resultsDir, `${scenario}.service.stderr.log`);
  say(`starting the service on ${base} (JSON logs: ${relative(logFile)})`);
  const started = Date.now();
  service = startService({
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: env('LOG_LEVEL') ?? 'info',
      // The scenarios send API_KEY; the service started for them then requires it.
      ...(env('API_KEY') ? { API_KEYS: env('API_KEY') } : {}),
    },
    port,
    output: { stdout: logFile, stderr: errorFile },
    detached: DETACH,
  });

  try {
    await waitUntilReady(base, readyTimeout * 1000);
  } catch (error) {
    if (error.signal !== undefined) {
      await stopService();
      return exitStatusOf(null, error.signal);
    }
    say(
      `${error.message}\n--- ${relative(logFile)} (last lines)\n${tail(logFile)}\n--- ${relative(errorFile)}\n${tail(errorFile)}`,
    );
    await stopService();
    return EXIT_SERVICE;
  }
  say(`the service is ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (stopRequested !== undefined) {
    await stopService();
    return exitStatusOf(null, stopRequested);
  }

  let code;
  try {
    code = await runK6(engine, scenario, engineArgs, { ...k6Environment, ENDPOINT: base });
  } finally {
    await stopService();
  }
  analyzeServiceLog(logFile, scenario, path.join(resultsDir, `${scenario}.report.html`));
  reportFailedChecks(consoleLog, logFile);
  say(`service log: ${relative(logFile)}`);
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
