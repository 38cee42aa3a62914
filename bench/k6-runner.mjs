// `node bench/k6-runner.mjs`: what the project's k6-compatible runner itself
// costs, against a trivial local HTTP server (no service, no database):
//
//   npm run build && node bench/k6-runner.mjs [--vus 500] [--seconds 20] [--starts 5]
//
// - start-up: a 1-VU, 1-iteration script from `node` to exit (median of --starts
//   runs), and how long initialising --vus VUs takes;
// - --vus sleeping VUs (bench/k6/idle.js: one request, then 10 s of sleep, as a
//   studier between lists): the runner's CPU (ms per second, 1000 = one core) and
//   RSS over --seconds, from /proc, once every VU is asleep.
//
// Prints a table and writes bench/results/k6-runner-<time>.json. Its req/s
// against the service, next to autocannon's: npm run bench -- --with-k6-runner.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { cpuMilliseconds, rssBytes } from './lib/proc.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNNER = path.join(ROOT, 'dist/libs/k6-runner/src/cli/k6.js');
const IDLE = path.join(ROOT, 'bench/k6/idle.js');
const RESULTS = path.join(ROOT, 'bench/results');

const { values: options } = parseArgs({
  options: {
    vus: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    starts: { type: 'string', default: '5' },
  },
});
const vus = Number(options.vus);
const seconds = Number(options.seconds);

function run(args) {
  const child = spawn(process.execPath, [RUNNER, 'run', '--no-color', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

const server = createServer((req, res) => res.end('ok'));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

try {
  const starts = [];
  for (let i = 0; i < Number(options.starts); i++) {
    const began = performance.now();
    const once = run(['--quiet', '--iterations', '1', '-e', `BASE=${base}`, '-e', 'SLEEP=0', IDLE]);
    const code = await once.exited;
    if (code !== 0) throw new Error(`the runner exited ${code}:\n${once.stderr()}`);
    starts.push(performance.now() - began);
  }
  starts.sort((a, b) => a - b);

  const idle = run([
    '--vus',
    String(vus),
    '--duration',
    `${seconds + 15}s`,
    '-e',
    `BASE=${base}`,
    '-e',
    'SLEEP=10',
    IDLE,
  ]);
  const began = performance.now();
  let initMs;
  while (initMs === undefined) {
    const match = /(\d+) VUs initialized in ([\d.]+)(ms|s)/.exec(idle.stderr());
    if (match) initMs = Number(match[2]) * (match[3] === 's' ? 1000 : 1);
    else if (idle.child.exitCode !== null) throw new Error(`the runner exited:\n${idle.stderr()}`);
    else await sleep(50);
  }
  const initWallMs = performance.now() - began;
  // Every VU has made its request and is asleep well within 5 s.
  await sleep(5000);
  const cpuBefore = cpuMilliseconds(idle.child.pid);
  let rssMax = 0;
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    rssMax = Math.max(rssMax, Math.round(rssBytes(idle.child.pid) / 2 ** 20));
  }
  const cpuPerSecond = (cpuMilliseconds(idle.child.pid) - cpuBefore) / seconds;
  idle.child.kill('SIGINT');
  await idle.exited;

  const result = {
    node: process.version,
    start_to_exit_1_vu_ms_median: Math.round(starts[Math.floor(starts.length / 2)]),
    start_to_exit_1_vu_ms_all: starts.map(Math.round),
    vus,
    vus_initialized_in_ms: Math.round(initMs),
    start_to_vus_ready_ms: Math.round(initWallMs),
    sleeping_cpu_ms_per_s: Math.round(cpuPerSecond),
    sleeping_rss_mb_max: rssMax,
    sleeping_rss_mb_per_vu: Number((rssMax / vus).toFixed(1)),
  };
  console.table(result);
  mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `k6-runner-${new Date().toISOString().replaceAll(':', '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written ${path.relative(ROOT, file)}`);
} finally {
  server.close();
}
