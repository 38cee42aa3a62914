import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openInChromium } from '../support/browser';

const ROOT = path.resolve(__dirname, '../../../..');
const SCREENSHOTS = path.join(ROOT, 'test-results');
const run = promisify(execFile);

function withoutDatabase(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.DB_HOST;
  return env;
}

/**
 * `npm run bench` measures the real service and the bare server for a moment
 * and writes its page: in a real Chromium, every measure has a chart per
 * scenario with a bar for each configuration.
 */
describe('npm run bench: the page comparing configurations', () => {
  let results: string;
  beforeAll(() => (results = mkdtempSync(path.join(tmpdir(), 'bench-report-'))));
  afterAll(() => rmSync(results, { recursive: true, force: true }));

  it('draws req/s, p99, CPU per request and RSS of each configuration side by side, with no errors', async () => {
    await run(
      process.execPath,
      [
        'bench/run.mjs',
        ...['--configs', 'default,bare', '--scenarios', 'list-100,create-delete'],
        ...['--duration', '1', '--warmup', '0.5', '--connections', '4', '--no-pin', '--rounds', '2'],
        ...['--results', results],
      ],
      // On its own throwaway embedded PostgreSQL, as a newcomer runs it, so the database's CPU is measured too.
      { cwd: ROOT, env: withoutDatabase() },
    );
    const page = readdirSync(results).find((file) => /^bench-.*\.html$/.test(file));
    expect(page).toBeDefined();
    const json = JSON.parse(readFileSync(path.join(results, page!.replace(/\.html$/, '.json')), 'utf8')) as {
      results: {
        config: string;
        scenario: string;
        rounds: number;
        server_cpu_ms_per_request: number;
        server_cpu_vs_bare?: number;
      }[];
    };
    // Two rounds of each, reported as one median per configuration and scenario, compared with the bare server's.
    expect(json.results).toHaveLength(4);
    for (const result of json.results) {
      expect(result.rounds).toBe(2);
      if (result.config === 'default') {
        expect(result.server_cpu_vs_bare).toBeCloseTo(
          result.server_cpu_ms_per_request /
            json.results.find((r) => r.config === 'bare' && r.scenario === result.scenario)!.server_cpu_ms_per_request,
          1,
        );
      }
    }

    const { browser, page: tab, errors, requests } = await openInChromium(path.join(results, page!));
    try {
      await tab.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
      const charts = await tab.evaluate(() =>
        Array.from(document.querySelectorAll<HTMLElement>('figure.chart')).map((figure) => ({
          title: figure.dataset.title,
          bars: Number(figure.dataset.points),
        })),
      );
      // Five measures, two scenarios, two configurations each.
      expect(charts.map((c) => c.title).sort()).toEqual(
        ['Database CPU per request', 'Latency p99', 'Requests per second', 'Server CPU per request', 'Server RSS']
          .flatMap((measure) => [`${measure}: create-delete (autocannon)`, `${measure}: list-100 (autocannon)`])
          .sort(),
      );
      for (const chart of charts) expect(chart).toMatchObject({ bars: 2 });
      const rows = await tab.$$eval('table tbody tr', (trs) => trs.map((tr) => tr.children[0].textContent));
      expect(rows.sort()).toEqual(['bare', 'bare', 'default', 'default']);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await tab.screenshot({ path: path.join(SCREENSHOTS, 'bench-report.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
