/// <reference lib="dom" />
import type uPlot from 'uplot';
import type { AnalysisReportData } from './report-data';

/**
 * Draws the analysis page in the browser. Inlined into the page as source
 * text (page.ts): everything it uses is inside it or passed in.
 */
export function drawAnalysisReport(data: AnalysisReportData, UPlot: typeof uPlot): void {
  type Child = Node | string | number | null | undefined;
  const COLORS = ['#2e6fd8', '#d9822b', '#2f9e44', '#c92a2a', '#7048e8', '#0c8599', '#e8590c', '#5c940d', '#862e9c'];
  const STATUS_COLORS: Record<string, string> = {
    '2xx': '#2f9e44',
    '3xx': '#1971c2',
    '4xx': '#e8590c',
    '5xx': '#c92a2a',
  };
  const { analysis, traces } = data;
  const { summary, timeline, verdict } = analysis;
  const root = document.getElementById('report')!;

  function el(tag: string, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElement {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    for (const child of children) {
      if (child === null || child === undefined) continue;
      element.append(typeof child === 'number' ? String(child) : child);
    }
    return element;
  }
  function number(value: number | null | undefined, digits = 3): string {
    if (value === null || value === undefined || Number.isNaN(value)) return '–';
    return Number(value.toFixed(digits)).toLocaleString('en');
  }
  function percent(share: number | undefined): string {
    return share === undefined ? '–' : `${(share * 100).toFixed(1)}%`;
  }
  function idLink(id: string): Node {
    if (!traces[id]) return el('code', {}, id);
    return el('a', { class: 'request-id', href: `#trace=${encodeURIComponent(id)}` }, id);
  }
  /** Text with every traced request id in it made a link. */
  function linked(text: string): Node[] {
    const ids = Object.keys(traces).filter((id) => text.includes(id));
    if (ids.length === 0) return [document.createTextNode(text)];
    const pattern = new RegExp(`(${ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`);
    return text.split(pattern).map((part) => (traces[part] ? idLink(part) : document.createTextNode(part)));
  }
  function table(headers: string[], rows: Child[][], numeric: boolean[] = []): HTMLElement {
    if (rows.length === 0) return el('p', { class: 'note' }, 'none');
    return el(
      'table',
      {},
      el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
      el(
        'tbody',
        {},
        ...rows.map((row) => el('tr', {}, ...row.map((cell, i) => el('td', numeric[i] ? { class: 'num' } : {}, cell)))),
      ),
    );
  }
  function section(title: string, ...children: Child[]): HTMLElement {
    const element = el('section', {}, el('h2', {}, title), ...children);
    root.append(element);
    return element;
  }

  // --- Header and verdict -------------------------------------------------
  const first = timeline.times[0];
  const last = timeline.times[timeline.times.length - 1];
  root.append(
    el('h1', {}, data.title),
    el(
      'p',
      { class: 'meta' },
      `${data.source} · ${first === undefined ? 'no timed lines' : `${new Date(first).toISOString()} to ${new Date(last + timeline.bucketMs).toISOString()}`}`,
      ` · ${summary.requests.toLocaleString('en')} requests finished · ${timeline.bucketMs / 1000} s buckets`,
      data.skippedLines > 0 ? ` · ${data.skippedLines} lines skipped (not JSON)` : '',
      ` · generated ${data.generatedAt}`,
    ),
  );
  const evidence: [string, string][] = [
    ['requests finished', number(summary.requests, 0)],
    ['peak in flight', number(summary.peakConcurrency, 0)],
    ['median request', `${number(summary.medianRequestMs)} ms`],
    ['median SQL per request', `${number(summary.medianSqlMs)} ms (${percent(summary.medianSqlShare)})`],
    [
      'median queries per request',
      `${number(summary.medianQueriesPerRequest)} (median ${number(summary.medianQueryMs)} ms)`,
    ],
    ['5xx', `${number(summary.serverErrors, 0)} (${percent(summary.serverErrorRate)})`],
    ['failed queries', number(summary.failedQueries, 0)],
    [`requests > ${summary.manyQueriesThreshold} queries`, number(summary.requestsWithManyQueries, 0)],
    ['event loop busy under load', percent(summary.medianLoadedEventLoopUtilization)],
    [
      'event loop delay under load (p99)',
      summary.medianLoadedEventLoopDelayMs === undefined ? '–' : `${number(summary.medianLoadedEventLoopDelayMs)} ms`,
    ],
  ];
  root.append(
    el(
      'div',
      { class: `verdict ${verdict.bottleneck}`, id: 'verdict' },
      el('div', { class: 'class' }, `Verdict: ${verdict.bottleneck}`),
      el('p', { class: 'reason' }, ...linked(verdict.reason)),
      verdict.alsoSeen.length > 0 ? el('p', {}, `Also seen: ${verdict.alsoSeen.join(', ')}`) : null,
      el('div', { class: 'evidence' }, ...evidence.map(([label, value]) => el('div', {}, label, el('b', {}, value)))),
    ),
  );

  // --- Charts over time -----------------------------------------------------
  const charts: uPlot[] = [];
  const sync = UPlot.sync('timeline');
  const xs = timeline.times.map((ms) => ms / 1000);
  const chartGrid = el('div', { class: 'charts' });
  interface Line {
    label: string;
    values: (number | null)[];
    color?: string;
    /** Join the points across buckets without a value: for samples sparser than the buckets (process metrics). */
    spanGaps?: boolean;
  }
  function isolated(values: (number | null)[]): number[] {
    const missing = (i: number) => values[i] === null || values[i] === undefined;
    return values.flatMap((_, i) => (!missing(i) && missing(i - 1) && missing(i + 1) ? [i] : []));
  }
  function chart(grid: HTMLElement, title: string, unit: string, lines: Line[], x: number[] = xs, xAxis?: uPlot.Axis) {
    const figure = el('figure', { class: 'chart', 'data-title': title });
    const points = lines.reduce((n, line) => n + line.values.filter((v) => v !== null && v !== undefined).length, 0);
    figure.dataset.points = String(points);
    grid.append(figure);
    const time = xAxis === undefined;
    const plot = new UPlot(
      {
        title,
        width: Math.max(320, figure.clientWidth - 16),
        height: 230,
        ...(time ? { tzDate: (ts: number) => UPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') } : {}),
        cursor: time ? { sync: { key: sync.key } } : {},
        scales: { x: { time } },
        series: [
          { label: time ? 'time (UTC)' : 'percentile' },
          ...lines.map((line, i) => ({
            label: line.label,
            stroke: line.color ?? COLORS[i % COLORS.length],
            width: 1.5,
            spanGaps: line.spanGaps ?? false,
            // A value alone between gaps draws no line: it gets a dot.
            points: { show: true, size: 5, filter: line.spanGaps ? null : isolated(line.values) },
            value: (_: uPlot, v: number | null) => (v === null ? '–' : `${number(v)} ${unit}`),
          })),
        ],
        axes: [xAxis ?? {}, { label: unit, size: 64 }],
      },
      [x, ...lines.map((line) => line.values)] as uPlot.AlignedData,
      figure,
    );
    charts.push(plot);
  }

  section('Over time', chartGrid);
  if (timeline.times.length === 0) chartGrid.append(el('p', { class: 'note' }, 'The log has no timed lines.'));
  else {
    chart(
      chartGrid,
      'Requests per second by route',
      'req/s',
      timeline.routes.map((r) => ({ label: r.route, values: r.requestsPerSecond })),
    );
    chart(
      chartGrid,
      'Requests per second by status',
      'req/s',
      (['2xx', '3xx', '4xx', '5xx'] as const).map((s) => ({
        label: s,
        values: timeline.statusPerSecond[s],
        color: STATUS_COLORS[s],
      })),
    );
    for (const route of timeline.routes) {
      chart(chartGrid, `Latency: ${route.route}`, 'ms', [
        { label: 'p50', values: route.p50Ms },
        { label: 'p95', values: route.p95Ms },
        { label: 'p99', values: route.p99Ms },
      ]);
    }
    chart(chartGrid, 'Errors per bucket', 'count', [
      { label: '5xx responses', values: timeline.serverErrors, color: '#c92a2a' },
      { label: 'failed queries', values: timeline.failedQueries, color: '#7048e8' },
    ]);
    chart(chartGrid, 'SQL time per request and wait for a connection', 'ms', [
      { label: 'SQL per request (mean)', values: timeline.sqlMsMean },
      { label: 'SQL per request (p95)', values: timeline.sqlMsP95 },
      { label: 'wait before 1st query (p95)', values: timeline.waitBeforeFirstQueryMsP95 },
    ]);
    chart(chartGrid, 'Requests in flight (most at once)', 'requests', [
      { label: 'in flight', values: timeline.inFlight },
    ]);
    if (timeline.processes.length === 0) {
      chartGrid.append(
        el('p', { class: 'note' }, 'No Process metrics lines: event loop, CPU and memory are not in this log.'),
      );
    } else {
      const perProcess = (pick: (p: (typeof timeline.processes)[number]) => (number | null)[], scale = 1) =>
        timeline.processes.map((p) => ({
          label: p.process,
          values: pick(p).map((v) => (v === null ? null : v * scale)),
          spanGaps: true,
        }));
      chart(
        chartGrid,
        'Event-loop utilisation',
        '%',
        perProcess((p) => p.eventLoopUtilization, 100),
      );
      chart(
        chartGrid,
        'Event-loop delay (p99)',
        'ms',
        perProcess((p) => p.eventLoopDelayP99Ms),
      );
      chart(
        chartGrid,
        'CPU (100% = one core)',
        '%',
        perProcess((p) => p.cpuPercent),
      );
      chart(
        chartGrid,
        'Resident memory (RSS)',
        'MB',
        perProcess((p) => p.rssMb),
      );
    }
  }

  // --- Distributions and tables --------------------------------------------
  const distributions = el('div', { class: 'charts' });
  section('Latency distribution by route', distributions);
  const percentiles = timeline.routes[0]?.distribution.map(([p]) => p) ?? [];
  if (percentiles.length === 0) distributions.append(el('p', { class: 'note' }, 'No finished requests.'));
  else {
    chart(
      distributions,
      'Duration by percentile',
      'ms',
      timeline.routes.map((r) => ({ label: r.route, values: r.distribution.map(([, ms]) => ms) })),
      percentiles.map((_, i) => i),
      { values: (_: uPlot, ticks: number[]) => ticks.map((i) => (Number.isInteger(i) ? `p${percentiles[i]}` : '')) },
    );
  }

  section(
    'Routes',
    table(
      ['route', 'count', '2xx', '3xx', '4xx', '5xx', 'p50 ms', 'p95 ms', 'p99 ms'],
      analysis.routes.map((r) => [
        r.route,
        r.count,
        r.status['2xx'],
        r.status['3xx'],
        r.status['4xx'],
        r.status['5xx'],
        number(r.p50Ms),
        number(r.p95Ms),
        number(r.p99Ms),
      ]),
      [false, true, true, true, true, true, true, true, true],
    ),
  );
  section(
    'Slowest requests',
    table(
      ['request id', 'route', 'status', 'total ms', 'SQL ms', 'queries', 'wait before 1st query ms'],
      analysis.slowestRequests.map((r) => [
        idLink(r.requestId),
        r.route,
        r.status ?? '–',
        number(r.durationMs),
        number(r.sqlMs),
        r.queryCount,
        number(r.waitBeforeFirstQueryMs),
      ]),
      [false, false, true, true, true, true, true],
    ),
  );
  const sqlCell = (shape: string) => el('code', {}, shape);
  section(
    'Slowest SQL shapes (by total time)',
    table(
      ['shape', 'count', 'total ms', 'p95 ms', 'p99 ms', 'share', 'failed', 'examples'],
      analysis.slowestShapes.map((s) => [
        sqlCell(s.shape),
        s.count,
        number(s.totalMs),
        number(s.p95Ms),
        number(s.p99Ms),
        percent(s.shareOfSqlTime),
        s.failures,
        el('span', {}, ...s.examples.flatMap((id) => [idLink(id), ' '])),
      ]),
      [false, true, true, true, true, true, true, false],
    ),
  );
  section(
    'Repeated shapes in one request (N+1)',
    table(
      ['shape', 'requests', 'max repeats', 'examples'],
      analysis.repeatedShapes.map((s) => [
        sqlCell(s.shape),
        s.requests,
        s.maxRepeats,
        el('span', {}, ...s.examples.flatMap((id) => [idLink(id), ' '])),
      ]),
      [false, true, true, false],
    ),
  );
  section(
    'Failures',
    el('p', {}, `${summary.serverErrors} responses 5xx, ${summary.failedQueries} failed queries.`),
    table(
      ['request id', 'route', 'status'],
      analysis.failedRequests.slice(0, 20).map((f) => [idLink(f.requestId), f.route, f.status]),
    ),
    table(
      ['request id', 'error code', 'shape'],
      analysis.failedQueries
        .slice(0, 20)
        .map((f) => [f.requestId ? idLink(f.requestId) : '–', f.errorCode ?? '', sqlCell(f.shape)]),
    ),
  );

  // --- One request's trace --------------------------------------------------
  const panel = el('section', { id: 'trace', hidden: '', role: 'dialog', 'aria-label': 'Request trace' });
  document.body.append(panel);
  function showTrace(id: string): void {
    const trace = traces[id];
    if (!trace) {
      panel.hidden = true;
      return;
    }
    const total = Math.max(trace.durationMs ?? 0, ...trace.events.map((e) => e.offsetMs + (e.durationMs ?? 0)), 0.001);
    const bar = (offset: number, duration: number, kind: string) => {
      const span = el('span', { class: kind });
      span.style.left = `${(offset / total) * 100}%`;
      span.style.width = `${(duration / total) * 100}%`;
      return el('div', { class: 'bar' }, span);
    };
    panel.replaceChildren(
      el('a', { class: 'close', href: '#' }, 'close ✕'),
      el('h2', {}, `Request ${trace.requestId}`),
      el(
        'p',
        {},
        `${trace.route}${trace.url ? ` (${trace.url})` : ''} · started ${trace.startedAt} · status ${trace.status ?? '?'} · ` +
          `${number(trace.durationMs)} ms, of which ${number(trace.sqlMs)} ms in ${trace.queryCount} queries`,
      ),
      table(
        ['offset ms', 'duration ms', 'location', 'what', 'timeline'],
        trace.events.map((e) => [
          `+${number(e.offsetMs)}`,
          number(e.durationMs),
          e.location ?? '',
          e.kind === 'sql'
            ? el('code', {}, `${e.message}${e.errorCode ? ` [${e.errorCode}]` : ''}: ${e.query ?? ''}`)
            : e.message,
          bar(
            e.kind === 'finish' ? 0 : e.offsetMs,
            e.kind === 'finish' ? (e.durationMs ?? total) : (e.durationMs ?? 0),
            e.errorCode ? 'failed' : e.kind === 'sql' ? 'sql' : 'other',
          ),
        ]),
        [true, true, false, false, false],
      ),
    );
    panel.hidden = false;
    panel.dataset.requestId = id;
  }
  function onHash(): void {
    const match = /^#trace=(.+)$/.exec(location.hash);
    showTrace(match ? decodeURIComponent(match[1]) : '');
  }
  window.addEventListener('hashchange', onHash);
  onHash();

  window.addEventListener('resize', () => {
    for (const plot of charts) {
      const figure = plot.root.parentElement!;
      plot.setSize({ width: Math.max(320, figure.clientWidth - 16), height: 230 });
    }
  });
  root.removeAttribute('aria-busy');
  document.body.dataset.charts = String(charts.length);
  document.body.dataset.ready = 'true';
}
