// `node bench/log-analysis.mjs`: how long `npm run analyze` takes on a large
// log and how much memory it needs.
//
//   npm run build && node bench/log-analysis.mjs [--mb 1024] [--log <file>] [--html]
//
// Writes a synthetic service log of --mb megabytes (bench/lib/synthetic-log.mjs:
// mixed list/get/create/delete traffic at 240 requests/s with its SQL and a
// metrics line per second, so 1 GB spans about 50 minutes) unless --log names
// one, runs the built analyze command on it as a separate process (with
// --html, the report page too) and prints the wall time, the peak RSS of
// that process and the verdict line; with --html, also the page's size and how
// long headless Chromium (CHROMIUM, default /usr/bin/chromium) takes from
// opening it to every chart drawn.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeSyntheticLog } from './lib/synthetic-log.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const ANALYZE = path.join(ROOT, 'dist', 'libs', 'log-analysis', 'src', 'cli', 'analyze.js');
const MAX_RSS = path.join(import.meta.dirname, 'lib', 'report-max-rss.mjs');

const { values: options } = parseArgs({
  options: { mb: { type: 'string', default: '1024' }, log: { type: 'string' }, html: { type: 'boolean' } },
});

const dir = mkdtempSync(path.join(tmpdir(), 'taskoverflow-log-bench-'));
try {
  let log = options.log;
  if (log === undefined) {
    log = path.join(dir, 'service.log');
    const started = performance.now();
    const written = await writeSyntheticLog(log, { bytes: Number(options.mb) * 1024 * 1024 });
    console.log(
      `log: ${(written.bytes / 1024 / 1024).toFixed(0)} MB, ${written.lines} lines, ${written.requests} requests ` +
        `over ${written.seconds} s (written in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  } else {
    console.log(`log: ${log}, ${(statSync(log).size / 1024 / 1024).toFixed(0)} MB`);
  }
  const html = path.join(dir, 'report.html');
  const args = ['--import', MAX_RSS, ANALYZE, log, ...(options.html ? ['--html', html] : [])];
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`analyze exited ${code}:\n${stderr}`);
  const maxRssKb = Number(/max-rss-kb=(\d+)/.exec(stderr)?.[1]);
  console.log(`analyze: ${seconds.toFixed(1)} s, peak RSS ${(maxRssKb / 1024).toFixed(0)} MB`);
  if (options.html) {
    console.log(`report: ${(statSync(html).size / 1024).toFixed(0)} KB`);
    console.log(`opened in Chromium, every chart drawn: ${await openTime(html)} ms`);
  }
  console.log(stdout.trim().split('\n').at(-1));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Milliseconds from asking Chromium to open the page to the page saying it has drawn everything. */
async function openTime(file) {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    const started = performance.now();
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    return Math.round(performance.now() - started);
  } finally {
    await browser.close();
  }
}
