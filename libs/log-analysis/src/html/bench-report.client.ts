/// <reference lib="dom" />
import type uPlot from 'uplot';
import type { BenchReportData, BenchResult } from './report-data';

/**
 * Draws the bench page in the browser. Inlined into the page as source text
 * (page.ts): everything it uses is inside it or passed in.
 */
export function drawBenchReport(data: BenchReportData, UPlot: typeof uPlot): void {
  const COLORS = ['#2e6fd8', '#d9822b', '#2f9e44', '#c92a2a', '#7048e8', '#0c8599', '#e8590c', '#5c940d'];
  const root = document.getElementById('report')!;
  function el(tag: string, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    element.append(...children);
    return element;
  }
  const MEASURES: { key: keyof BenchResult; title: string; unit: string }[] = [
    { key: 'requests_per_second', title: 'Requests per second', unit: 'req/s' },
    { key: 'latency_p99_ms', title: 'Latency p99', unit: 'ms' },
    { key: 'server_cpu_ms_per_request', title: 'Server CPU per request', unit: 'ms' },
    { key: 'db_cpu_ms_per_request', title: 'Database CPU per request', unit: 'ms' },
    { key: 'rss_mb', title: 'Server RSS', unit: 'MB' },
  ];
  const configs = [...new Set(data.results.map((r) => r.config))];
  const runs = [...new Set(data.results.map((r) => `${r.scenario} (${r.generator})`))];
  const charts: uPlot[] = [];

  root.append(
    el('h1', {}, data.title),
    el(
      'p',
      { class: 'meta' },
      Object.entries(data.setup)
        .map(([name, value]) => `${name}: ${value}`)
        .join(' · ') + ` · generated ${data.generatedAt}`,
    ),
  );

  for (const measure of MEASURES) {
    if (!data.results.some((r) => typeof r[measure.key] === 'number')) continue;
    const grid = el('div', { class: 'charts' });
    root.append(el('h2', {}, `${measure.title} (${measure.unit})`), grid);
    for (const run of runs) {
      const values = configs.map((config) => {
        const result = data.results.find((r) => r.config === config && `${r.scenario} (${r.generator})` === run);
        const value = result?.[measure.key];
        return typeof value === 'number' ? value : null;
      });
      const figure = el('figure', { class: 'chart', 'data-title': `${measure.title}: ${run}` });
      figure.dataset.points = String(values.filter((v) => v !== null).length);
      grid.append(figure);
      charts.push(
        new UPlot(
          {
            title: run,
            width: Math.max(320, figure.clientWidth - 16),
            height: 220,
            legend: { show: false },
            cursor: { show: false },
            scales: {
              x: { time: false, range: [-0.5, configs.length - 0.5] },
              y: { range: (_u, _min, max) => [0, max * 1.15 || 1] },
            },
            series: [
              {},
              {
                label: measure.unit,
                stroke: COLORS[0],
                fill: `${COLORS[0]}99`,
                paths: UPlot.paths.bars!({ size: [0.6, 80] }),
                points: { show: false },
              },
            ],
            axes: [
              {
                values: (_u, ticks) => ticks.map((i) => (Number.isInteger(i) ? (configs[i] ?? '') : '')),
                splits: () => configs.map((_, i) => i),
              },
              { label: measure.unit, size: 64 },
            ],
          },
          [configs.map((_, i) => i), values] as uPlot.AlignedData,
          figure,
        ),
      );
    }
  }

  const columns: (keyof BenchResult)[] = [
    'config',
    'scenario',
    'generator',
    'requests_per_second',
    'latency_p50_ms',
    'latency_p99_ms',
    'server_cpu_ms_per_request',
    'db_cpu_ms_per_request',
    'rss_mb',
    'errors',
    'non_2xx',
    'throughput_vs_bare',
    'server_cpu_vs_bare',
    'db_cpu_vs_bare',
  ];
  root.append(
    el('h2', {}, 'Every result'),
    el(
      'table',
      {},
      el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', {}, String(c))))),
      el(
        'tbody',
        {},
        ...data.results.map((r) =>
          el(
            'tr',
            {},
            ...columns.map((c) => el('td', typeof r[c] === 'number' ? { class: 'num' } : {}, String(r[c] ?? '–'))),
          ),
        ),
      ),
    ),
  );

  window.addEventListener('resize', () => {
    for (const plot of charts) {
      plot.setSize({ width: Math.max(320, plot.root.parentElement!.clientWidth - 16), height: 220 });
    }
  });
  root.removeAttribute('aria-busy');
  document.body.dataset.charts = String(charts.length);
  document.body.dataset.ready = 'true';
}
