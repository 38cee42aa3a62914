// `npm run bench`: measures the built service (and the bare reference server
// in bench/bare-server.mjs) under autocannon, on PostgreSQL (DATABASE_URL, or
// a throwaway embedded server). Prints a table and writes bench/results/*.json,
// with a page beside it (bench-<time>.html) that draws each measure for the
// configurations side by side.
//
//   npm run build && npm run bench -- [options]     (--help lists them)
//
// --capacity-p99 <ms> also looks for the most requests per second the server
// carries with p99 under that many ms and no errors (the connection count
// bisected between 1 and --connections): the number to size by.
//
// --with-k6-runner also drives each scenario with the project's
// k6-compatible runner (bench/k6/load.js: --connections VUs with no think time,
// warmed up for 10 s, then measured for --duration), right after autocannon
// against the same server: its req/s, latency and its own CPU and memory next
// to autocannon's.
//
// --cpu-prof writes a V8 CPU profile per server process to
// bench/results/profiles/<config>.<scenario>/; `node bench/profile-summary.mjs <dir>`
// says which packages the busy time went to (or open it in Chrome DevTools).
//
// Requests per second swing with whatever else the machine does; server CPU
// milliseconds per request (the process's own user+system time over the
// measured window, from /proc) are steadier, and say what a request costs. On
// the embedded PostgreSQL, the database's CPU per request is measured the same way.
import autocannon from 'autocannon';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { cpuMilliseconds, rssBytes } from './lib/proc.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const MAIN = path.join(ROOT, 'dist/apps/taskoverflow/src/main.js');
const EMBEDDED_POSTGRES = path.join(ROOT, 'dist/libs/database/src/embedded-postgres.js');
const SERVICE_RUNNER = path.join(ROOT, 'dist/libs/service-runner/src/index.js');
const K6_RUNNER = path.join(ROOT, 'dist/libs/k6-runner/src/cli/k6.js');
const BENCH_REPORT = path.join(ROOT, 'dist/libs/log-analysis/src/html/bench-report.js');
const K6_LOAD = path.join(ROOT, 'bench/k6/load.js');
/** Seconds of load before the runner is measured: each VU compiles and optimises its own JavaScript. */
const K6_RUNNER_WARMUP_S = 10;
/** Sent on every request and given to the service, when set: see the usage. */
const API_KEY = process.env.API_KEY || undefined;

/** Named configurations: how the server is started. */
const ONE_PROCESS = { WEB_CONCURRENCY: '1' };
const CONFIGS = {
  default: { command: [MAIN], env: ONE_PROCESS },
  'no-sql-log': { command: [MAIN], env: { ...ONE_PROCESS, LOG_SQL: 'false' } },
  'no-log': { command: [MAIN], env: { ...ONE_PROCESS, LOG_LEVEL: 'fatal' } },
  'no-list-cache': { command: [MAIN], env: { ...ONE_PROCESS, TODOS_LIST_CACHE: 'false' } },
  'workers-2': { command: [MAIN], env: { WEB_CONCURRENCY: '2' }, cores: 'all' },
  bare: { command: [path.join(ROOT, 'bench/bare-server.mjs')], env: {} },
};

const TODO = {
  title: 'CSSE6400 Clout Assignment',
  completed: false,
  description: '',
  deadline_at: '2023-12-04T14:00:00',
};

const LIST = { method: 'GET', path: '/api/v1/todos' };
const CREATE = {
  method: 'POST',
  path: '/api/v1/todos',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(TODO),
  onResponse: (status, body, context) => {
    context.id = JSON.parse(body).id;
  },
};
const DELETE_CREATED = {
  method: 'DELETE',
  setupRequest: (request, context) => ({ ...request, path: `/api/v1/todos/${context.id}` }),
};

/** Named scenarios: the table size they need and the requests autocannon sends. */
const SCENARIOS = {
  'list-100': { todos: 100, requests: [LIST] },
  'list-1000': { todos: 1000, requests: [LIST] },
  'get-one': {
    todos: 100,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({ ...request, path: `/api/v1/todos/${1 + Math.floor(Math.random() * 100)}` }),
      },
    ],
  },
  // The planners: create a todo, then delete it by the id from the answer.
  'create-delete': {
    todos: 100,
    requests: [CREATE, DELETE_CREATED],
  },
  // planners-and-studiers' traffic at its peak: 2,500 studiers each listing every 120 s
  // (about 21 lists/s, plus 12.5/s from studiers joining during the ramp) against
  // 20 planners each creating and deleting every 20 s (2 writes/s): 17 lists per
  // create-delete pair. Every write invalidates the list caches.
  'practical-mix': {
    todos: 100,
    requests: [...Array.from({ length: 17 }, () => LIST), CREATE, DELETE_CREATED],
  },
};

const USAGE = `usage: npm run bench -- [options]   (after npm run build)

  --configs <a,b>        ${Object.keys(CONFIGS).join(', ')} (default: default,bare)
  --scenarios <a,b>      ${Object.keys(SCENARIOS).join(', ')} (default: all)
  --duration <s>         measured seconds per scenario (default: 10)
  --warmup <s>           seconds of load before measuring (default: 2)
  --rounds <n>           measure every scenario n times, the configurations taking
                         turns, and report the median of each figure (peak RSS and
                         its growth: the largest) (default: 1)
  --connections <n>      concurrent connections (default: 50)
  --capacity-p99 <ms>    also find the most req/s with p99 under <ms> and no errors
  --with-k6-runner       also drive each scenario with the project's k6 runner
  --cpu-prof             write a V8 CPU profile per server process
  --node-flags=<flags>   start the service's node with these flags, space-separated
                         (with "=": --node-flags="--max-semi-space-size=16 --heap-growing-percent=200")
  --results <dir>        where results, logs and the page go (default: bench/results)
  --no-pin               do not pin the server and the load to separate cores
  --max-rss-mb <n>       exit 1 when a service run's peak RSS exceeds <n> MB
  --max-rss-growth-mb <n> exit 1 when it grows more than <n> MB from the
                         first to the last third of the measured window
  -h, --help             print this and exit

With API_KEY set, the service is started with it as its API key (API_KEYS) and
every request sends it (Authorization: Bearer), so the check is measured too.`;

/** A mistake on the command line: what is wrong, then the usage, exit 2. */
function usageError(message) {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      configs: { type: 'string', default: 'default,bare' },
      scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '1' },
      connections: { type: 'string', default: '50' },
      'no-pin': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'node-flags': { type: 'string', default: '' },
      'capacity-p99': { type: 'string' },
      'max-rss-mb': { type: 'string' },
      'max-rss-growth-mb': { type: 'string' },
      'with-k6-runner': { type: 'boolean', default: false },
      results: { type: 'string', default: path.join(ROOT, 'bench/results') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  usageError(error.message);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
const NUMBER = /^\d+(\.\d+)?$/;
for (const [name, pattern, kind, least] of [
  ['duration', NUMBER, 'a number of seconds', 'above 0'],
  ['warmup', NUMBER, 'a number of seconds', '0 or more'],
  ['capacity-p99', NUMBER, 'a number of milliseconds', 'above 0'],
  ['max-rss-mb', NUMBER, 'a number of MB', 'above 0'],
  ['max-rss-growth-mb', NUMBER, 'a number of MB', '0 or more'],
  ['connections', /^\d+$/, 'a whole number', 'above 0'],
  ['rounds', /^\d+$/, 'a whole number', 'above 0'],
]) {
  const value = options[name];
  if (value !== undefined && !(pattern.test(value) && (least === '0 or more' || Number(value) > 0))) {
    usageError(`--${name} must be ${kind}, ${least}, not ${JSON.stringify(value)}`);
  }
}

const pick = (names, table, what) =>
  names.split(',').map((name) => {
    if (!(name in table))
      usageError(`unknown ${what} ${JSON.stringify(name)}; known: ${Object.keys(table).join(', ')}`);
    return name;
  });
const configs = pick(options.configs, CONFIGS, 'config');
const scenarios = pick(options.scenarios, SCENARIOS, 'scenario');
const pin = !options['no-pin'] && cpus().length >= 2;
const RESULTS = path.resolve(options.results);

if (!existsSync(MAIN)) {
  console.error(`${MAIN} is missing: run npm run build first`);
  process.exit(2);
}
mkdirSync(RESULTS, { recursive: true });
const { findFreePort, startService } = await import(SERVICE_RUNNER);
// The load generator keeps to the last core; pinned servers get the first.
if (pin) execFileSync('taskset', ['-p', '-c', String(cpus().length - 1), String(process.pid)]);

const database = await openDatabase();
/** The server being measured, stopped with the database when the bench is interrupted. */
let running;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await running?.stop();
    await database.stop();
    process.exit(130);
  });
}
try {
  const rounds = Number(options.rounds);
  const measured = [];
  // The configurations take turns per scenario, so that a drift in the
  // machine's speed (a noisy neighbour) falls on both sides of a comparison.
  for (let round = 1; round <= rounds; round++) {
    for (const scenario of scenarios) {
      for (const config of configs) {
        await seed(database.url, SCENARIOS[scenario].todos);
        for (const result of await measure(config, scenario, database)) {
          measured.push(result);
          console.error(
            `${rounds > 1 ? `round ${round}: ` : ''}${config} ${scenario} (${result.generator}): ${result.requests_per_second} req/s`,
          );
        }
      }
    }
  }
  const results = rounds > 1 ? medianOfRounds(measured) : measured;
  await report(results);
  if (!withinMemoryBounds(results)) process.exitCode = 1;
} finally {
  await database.stop();
}

async function measure(configName, scenarioName, database) {
  const config = CONFIGS[configName];
  const port = await findFreePort();
  const log = path.join(RESULTS, `${configName}.${scenarioName}.log`);
  const prefix = pin && config.cores !== 'all' ? ['taskset', '-c', '0'] : [];
  const profile = options['cpu-prof']
    ? ['--cpu-prof', `--cpu-prof-dir=${path.join(RESULTS, 'profiles', `${configName}.${scenarioName}`)}`]
    : [];
  const nodeFlags = configName === 'bare' ? [] : options['node-flags'].split(' ').filter(Boolean);
  const [command, ...args] = [...prefix, process.execPath, ...nodeFlags, ...profile, ...config.command];
  // The server writes its logs straight into the file: through a pipe drained
  // by this process, which is busy generating load, a full pipe would block the
  // server's synchronous log writes and show up as its latency.
  const service = startService({
    command: [command, ...args],
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      ...(API_KEY && configName !== 'bare' ? { API_KEYS: API_KEY } : {}),
      ...config.env,
    },
    port,
    output: { stdout: log },
  });
  running = service;
  const server = service.child;
  try {
    const url = `http://127.0.0.1:${port}`;
    await service.waitUntilReady(url, { timeoutMs: 30_000 });
    const load = {
      url,
      connections: Number(options.connections),
      requests: SCENARIOS[scenarioName].requests,
      headers: API_KEY ? { authorization: `Bearer ${API_KEY}` } : {},
    };
    await autocannon({ ...load, duration: Number(options.warmup) });
    const cpuBefore = cpuMilliseconds(server.pid);
    const dbCpuBefore = database.pid ? cpuMilliseconds(database.pid) : 0;
    const ownCpuBefore = process.cpuUsage();
    const logBytesBefore = statSync(log).size;
    const rss = sampleRss(server.pid);
    const run = await autocannon({ ...load, duration: Number(options.duration) });
    const memory = rss.stop();
    const logBytes = statSync(log).size - logBytesBefore;
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const cpuMs = cpuMilliseconds(server.pid) - cpuBefore;
    const dbCpuMs = database.pid ? cpuMilliseconds(database.pid) - dbCpuBefore : undefined;
    const capacity =
      options['capacity-p99'] === undefined
        ? {}
        : await findCapacity(load, Number(options['capacity-p99']), server.pid);
    const results = [
      {
        config: configName,
        scenario: scenarioName,
        generator: 'autocannon',
        requests_per_second: Math.round(run.requests.average),
        latency_p50_ms: run.latency.p50,
        latency_p99_ms: run.latency.p99,
        requests: run.requests.total,
        errors: run.errors + run.timeouts,
        non_2xx: run.non2xx,
        server_cpu_ms_per_request: Number((cpuMs / Math.max(1, run.requests.total)).toFixed(3)),
        // Embedded PostgreSQL only: what each request costs the database, for sizing RDS.
        db_cpu_ms_per_request:
          dbCpuMs === undefined ? undefined : Number((dbCpuMs / Math.max(1, run.requests.total)).toFixed(3)),
        rss_mb: memory.peakMb,
        rss_growth_mb: memory.growthMb,
        log_bytes_per_request: Math.round(logBytes / Math.max(1, run.requests.total)),
        generator_cpu_ms_per_request: Number(
          ((ownCpu.user + ownCpu.system) / 1000 / Math.max(1, run.requests.total)).toFixed(3),
        ),
        generator_rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
        ...capacity,
      },
    ];
    if (options['with-k6-runner']) results.push(await runK6Runner(url, configName, scenarioName, server.pid));
    return results;
  } finally {
    await service.stop();
  }
}

/**
 * The most requests per second with p99 under `p99Ms` and no errors: the
 * number of connections (each sending its next request when the last is
 * answered, as k6 VUs do) is bisected between 1 and --connections, and the
 * throughput at the largest count that keeps the bound is reported, with the
 * server's CPU use there (1000 ms/s = one core busy). Not autocannon's
 * overallRate: it sends each second's budget in a burst at the start of the
 * second, and the queue of that burst, not the server, would set the p99.
 */
async function findCapacity(load, p99Ms, pid) {
  let low = 0;
  let high = load.connections + 1;
  let best = { capacity_rps_at_p99: 0 };
  while (high - low > 1) {
    const connections = Math.floor((low + high) / 2);
    const seconds = Number(options.duration);
    const cpuBefore = cpuMilliseconds(pid);
    const run = await autocannon({ ...load, connections, duration: seconds });
    const cpuMsPerSecond = (cpuMilliseconds(pid) - cpuBefore) / seconds;
    const held = run.latency.p99 < p99Ms && run.errors + run.timeouts + run.non2xx === 0;
    console.error(
      `  ${connections} connections: ${Math.round(run.requests.average)} req/s, p99 ${run.latency.p99} ms${held ? '' : ' (over)'}`,
    );
    if (held) {
      low = connections;
      best = {
        capacity_rps_at_p99: Math.round(run.requests.average),
        capacity_connections: connections,
        capacity_p99_ms: run.latency.p99,
        capacity_server_cpu_ms_per_s: Math.round(cpuMsPerSecond),
      };
    } else {
      high = connections;
    }
  }
  return best;
}

/**
 * The scenario driven by the project's k6-compatible runner: --connections VUs
 * without think time, warmed up (its VUs' JavaScript is compiled and optimised
 * per VU), then measured for --duration. Its own CPU and memory are read from
 * /proc while it runs, over the measured scenario only.
 */
async function runK6Runner(url, configName, scenarioName, serverPid) {
  if (!existsSync(K6_RUNNER)) throw new Error(`${K6_RUNNER} is missing: run npm run build first`);
  const summaryFile = path.join(RESULTS, `k6-runner.${configName}.${scenarioName}.summary.json`);
  const runner = spawn(
    process.execPath,
    [
      K6_RUNNER,
      'run',
      '--no-color',
      '--summary-export',
      summaryFile,
      '-e',
      `BASE=${url}`,
      '-e',
      `SCENARIO=${scenarioName}`,
      '-e',
      `VUS=${options.connections}`,
      '-e',
      `WARMUP=${K6_RUNNER_WARMUP_S}`,
      '-e',
      `DURATION=${options.duration}`,
      ...(API_KEY ? ['-e', `API_KEY=${API_KEY}`] : []),
      K6_LOAD,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let started;
  let last = { cpu: 0, serverCpu: 0, rss: 0 };
  const poll = setInterval(() => {
    try {
      last = {
        cpu: cpuMilliseconds(runner.pid),
        serverCpu: cpuMilliseconds(serverPid),
        rss: Math.max(last.rss, rssBytes(runner.pid)),
      };
    } catch {
      // it has just ended: the last reading stands
    }
  }, 100);
  runner.stderr.on('data', (chunk) => (stderr += chunk));
  // The measured scenario starts WARMUP + 1 s after the VUs are initialised.
  void (async () => {
    while (!/VUs initialized/.test(stderr) && runner.exitCode === null) await sleep(20);
    await sleep((K6_RUNNER_WARMUP_S + 1) * 1000);
    started = { ...last };
  })();
  const code = await new Promise((resolve) => runner.once('exit', resolve));
  clearInterval(poll);
  if (code !== 0 || started === undefined) throw new Error(`the k6 runner exited ${code}:\n${stderr}`);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')).metrics;
  const requests = summary['http_reqs{scenario:measured}'].count;
  const duration = summary['http_req_duration{scenario:measured}'];
  return {
    config: configName,
    scenario: scenarioName,
    generator: 'k6-runner',
    requests_per_second: Math.round(requests / Number(options.duration)),
    latency_p50_ms: Number(duration.med.toFixed(2)),
    latency_p99_ms: Number(duration['p(99)'].toFixed(2)),
    requests,
    errors: summary['http_req_failed{scenario:measured}'].passes,
    non_2xx: undefined,
    server_cpu_ms_per_request: Number(((last.serverCpu - started.serverCpu) / Math.max(1, requests)).toFixed(3)),
    db_cpu_ms_per_request: undefined,
    rss_mb: Math.round(rssBytes(serverPid) / 2 ** 20),
    generator_cpu_ms_per_request: Number(((last.cpu - started.cpu) / Math.max(1, requests)).toFixed(3)),
    generator_rss_mb: Math.round(last.rss / 2 ** 20),
  };
}

/** One result per configuration, scenario and generator: the median of each figure over the rounds, the largest peak RSS and growth. */
function medianOfRounds(measured) {
  const groups = new Map();
  for (const r of measured) {
    const key = `${r.config} ${r.scenario} ${r.generator}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rounds) => {
    const merged = { ...rounds[0], rounds: rounds.length };
    for (const [field, value] of Object.entries(rounds[0])) {
      if (typeof value !== 'number') continue;
      const values = rounds.map((r) => r[field]).sort((a, b) => a - b);
      merged[field] = field.startsWith('rss_')
        ? values.at(-1)
        : values.length % 2
          ? values[(values.length - 1) / 2]
          : Number(((values[values.length / 2 - 1] + values[values.length / 2]) / 2).toFixed(3));
    }
    return merged;
  });
}

/** The memory guard (--max-rss-mb, --max-rss-growth-mb): each service run over a bound is named. */
function withinMemoryBounds(results) {
  const services = results.filter((r) => r.config !== 'bare' && r.generator === 'autocannon');
  const over = [
    ...(options['max-rss-mb'] === undefined
      ? []
      : services
          .filter((r) => r.rss_mb > Number(options['max-rss-mb']))
          .map((r) => `${r.config} ${r.scenario}: peak RSS ${r.rss_mb} MB > ${options['max-rss-mb']} MB`)),
    ...(options['max-rss-growth-mb'] === undefined
      ? []
      : services
          .filter((r) => r.rss_growth_mb > Number(options['max-rss-growth-mb']))
          .map(
            (r) => `${r.config} ${r.scenario}: RSS grew ${r.rss_growth_mb} MB > ${options['max-rss-growth-mb']} MB`,
          )),
  ];
  for (const line of over) console.error(`memory bound exceeded: ${line}`);
  return over.length === 0;
}

/**
 * The server's RSS every second of the measured window: its peak, and how
 * much the peak of the last third exceeds that of the first (growth under
 * steady load is a leak or a heap still finding its size).
 */
function sampleRss(pid) {
  const samples = [rssBytes(pid)];
  const timer = setInterval(() => samples.push(rssBytes(pid)), 1000);
  return {
    stop() {
      clearInterval(timer);
      samples.push(rssBytes(pid));
      const mb = (bytes) => Math.round(bytes / 2 ** 20);
      const third = Math.max(1, Math.floor(samples.length / 3));
      return {
        peakMb: mb(Math.max(...samples)),
        growthMb: mb(Math.max(...samples.slice(-third)) - Math.max(...samples.slice(0, third))),
      };
    },
  };
}

async function openDatabase() {
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, stop: async () => undefined };
  }
  const { startEmbeddedPostgres } = await import(EMBEDDED_POSTGRES);
  const dir = mkdtempSync(path.join(tmpdir(), 'taskoverflow-bench-'));
  chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'pg');
  const server = await startEmbeddedPostgres({ dataDir, port: 0, database: 'bench' });
  // The schema comes from the service's own migrations: start it once.
  const migrate = startService({
    env: { ...process.env, DATABASE_URL: server.url, LOG_LEVEL: 'warn' },
    port: 0,
    output: 'ignore',
  });
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  for (let attempt = 0; attempt < 300; attempt++) {
    const { rows } = await client.query("SELECT to_regclass('public.todos') IS NOT NULL AS ready");
    if (rows[0].ready) break;
    await sleep(100);
  }
  await client.end();
  await migrate.stop();
  return {
    url: server.url,
    // The postmaster, whose process tree holds every backend: the database's CPU.
    pid: Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]),
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Replaces the table's rows with `count` todos shaped like the load test's. */
async function seed(url, count) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('TRUNCATE todos RESTART IDENTITY');
  await client.query(
    `INSERT INTO todos (title, description, completed, deadline_at)
     SELECT 'Todo number ' || n, 'A description of todo number ' || n || ' for the benchmark',
            n % 3 = 0, now() + (n || ' hours')::interval
     FROM generate_series(1, $1) AS n`,
    [count],
  );
  await client.query('VACUUM ANALYZE todos');
  await client.end();
}

async function report(results) {
  console.table(results);
  const bare = Object.fromEntries(
    results
      .filter((result) => result.config === 'bare')
      .map((result) => [`${result.scenario} ${result.generator}`, result]),
  );
  for (const result of results) {
    const reference = bare[`${result.scenario} ${result.generator}`];
    if (result.config !== 'bare' && reference) {
      const ratio = (field) => (reference[field] ? Number((result[field] / reference[field]).toFixed(2)) : undefined);
      result.throughput_vs_bare = ratio('requests_per_second');
      result.server_cpu_vs_bare = ratio('server_cpu_ms_per_request');
      result.db_cpu_vs_bare = ratio('db_cpu_ms_per_request');
    }
  }
  if (Object.keys(bare).length) {
    console.table(
      results
        .filter((result) => result.throughput_vs_bare !== undefined)
        .map(({ config, scenario, generator, throughput_vs_bare, server_cpu_vs_bare, db_cpu_vs_bare }) => ({
          config,
          scenario,
          generator,
          throughput_vs_bare,
          server_cpu_vs_bare,
          db_cpu_vs_bare,
        })),
    );
  }
  const generatedAt = new Date().toISOString();
  const file = path.join(RESULTS, `bench-${generatedAt.replaceAll(':', '-')}.json`);
  const setup = {
    node: process.version,
    cpus: cpus().length,
    pinned: pin,
    connections: Number(options.connections),
    duration_s: Number(options.duration),
    rounds: Number(options.rounds),
    node_flags: options['node-flags'],
  };
  writeFileSync(file, JSON.stringify({ ...setup, results }, null, 2) + '\n');
  const { renderBenchReport } = await import(BENCH_REPORT);
  const page = file.replace(/\.json$/, '.html');
  writeFileSync(page, renderBenchReport({ title: 'TaskOverflow benchmark', generatedAt, setup, results }));
  console.log(`written ${path.relative(ROOT, page)}`);
  console.log(`written ${path.relative(ROOT, file)}`);
}
