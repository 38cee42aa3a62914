import type { Analysis } from './analysis';
import type { Trace } from './trace';
import { clip, percent } from './text';
import { formatVerdict } from './verdict';

/** Failures listed by id before the rest are only counted. */
const FAILURES_LIMIT = 10;
/** SQL shown in tables: enough to recognise the statement. */
const SHAPE_WIDTH = 70;
/** SQL in a timeline; --json has it whole. */
const TRACE_QUERY_WIDTH = 140;

export function formatAnalysis(analysis: Analysis, skippedLines = 0): string {
  const { summary } = analysis;
  const sections: string[] = [];

  sections.push(
    section('Summary', [
      `requests finished          ${summary.requests}`,
      `peak in flight             ${summary.peakConcurrency}`,
      `median request             ${summary.medianRequestMs} ms`,
      `median SQL per request     ${summary.medianSqlMs} ms (median share ${percent(summary.medianSqlShare)})`,
      `median queries per request ${summary.medianQueriesPerRequest} (median query ${summary.medianQueryMs} ms)`,
      `requests > ${summary.manyQueriesThreshold} queries       ${summary.requestsWithManyQueries}${examples(summary.manyQueriesExamples)}`,
      `5xx rate                   ${percent(summary.serverErrorRate)}`,
      `event loop busy under load ${
        summary.medianLoadedEventLoopUtilization === undefined
          ? 'unknown (no Process metrics lines)'
          : percent(summary.medianLoadedEventLoopUtilization)
      }`,
      ...(skippedLines > 0 ? [`lines skipped (not JSON)    ${skippedLines}`] : []),
    ]),
  );

  sections.push(
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
          r.p50Ms,
          r.p95Ms,
          r.p99Ms,
        ]),
      ),
    ),
  );

  const slowest = analysis.slowestRequests.filter((r) => r.durationMs !== undefined);
  sections.push(
    section(
      'Slowest requests',
      table(
        ['request_id', 'route', 'status', 'total ms', 'sql ms', 'queries', 'wait before 1st query ms'],
        slowest.map((r) => [
          r.requestId,
          r.route,
          r.status ?? '',
          r.durationMs ?? '',
          r.sqlMs,
          r.queryCount,
          r.waitBeforeFirstQueryMs ?? '',
        ]),
      ),
    ),
  );

  sections.push(
    section(
      'Slowest SQL shapes (by total time)',
      table(
        ['shape', 'count', 'total ms', 'p95 ms', 'p99 ms', 'share', 'failed', 'examples'],
        analysis.slowestShapes.map((s) => [
          clip(s.shape, SHAPE_WIDTH),
          s.count,
          s.totalMs,
          s.p95Ms,
          s.p99Ms,
          percent(s.shareOfSqlTime),
          s.failures,
          s.examples.join(' '),
        ]),
      ),
    ),
  );

  sections.push(
    section(
      'Repeated shapes in one request (N+1)',
      table(
        ['shape', 'requests', 'max repeats', 'examples'],
        analysis.repeatedShapes.map((s) => [
          clip(s.shape, SHAPE_WIDTH),
          s.requests,
          s.maxRepeats,
          s.examples.join(' '),
        ]),
      ),
    ),
  );

  sections.push(
    section('Failures', [
      `5xx responses: ${analysis.summary.serverErrors}`,
      ...analysis.failedRequests.slice(0, FAILURES_LIMIT).map((f) => `  ${f.requestId}  ${f.route}  ${f.status}`),
      `failed queries: ${analysis.summary.failedQueries}`,
      ...analysis.failedQueries
        .slice(0, FAILURES_LIMIT)
        .map((f) => `  ${f.requestId ?? '(no request)'}  ${f.errorCode ?? ''}  ${clip(f.shape, SHAPE_WIDTH)}`),
    ]),
  );

  return `${sections.join('\n\n')}\n\n${formatVerdict(analysis.verdict)}\n`;
}

export function formatTrace(trace: Trace): string {
  const header = [
    `request ${trace.requestId}  ${trace.route}${trace.url ? `  (${trace.url})` : ''}`,
    `started ${trace.startedAt}  status ${trace.status ?? '?'}  total ${trace.durationMs ?? '?'} ms` +
      `  sql ${trace.sqlMs} ms in ${trace.queryCount} queries`,
  ];
  const rows = trace.events.map((e) => [
    `+${e.offsetMs}`,
    e.durationMs ?? '',
    e.location ?? '',
    e.kind === 'sql'
      ? `${e.message}${e.errorCode ? ` [${e.errorCode}]` : ''}: ${clip(e.query ?? '', TRACE_QUERY_WIDTH)}`
      : e.message,
  ]);
  return `${header.join('\n')}\n\n${table(['offset ms', 'duration ms', 'location', 'what'], rows).join('\n')}\n`;
}

function section(title: string, body: string[]): string {
  return [title, '-'.repeat(title.length), ...body].join('\n');
}

/** Left-aligned text, right-aligned numbers and percentages; "(none)" for an empty table. */
function table(headers: string[], rows: (string | number)[][]): string[] {
  if (rows.length === 0) return ['(none)'];
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const numeric = headers.map((_, column) =>
    rows.every((row) => /^(?:[+-]?\d+(?:\.\d+)?%?)?$/.test(String(row[column]))),
  );
  return cells.map((row) =>
    row
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd(),
  );
}

function examples(ids: string[]): string {
  return ids.length > 0 ? ` (e.g. ${ids.join(' ')})` : '';
}
