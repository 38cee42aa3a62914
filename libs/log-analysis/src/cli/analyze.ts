import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MANY_QUERIES, LogAnalyzer } from '../analyze';
import { exampleRequestIds, renderAnalysisReport } from '../html/analysis-report';
import type { LogLine } from '../log-line';
import { formatAnalysis } from '../report';
import { traceAll } from '../trace';
import { chooseSource, describeSource, runCli, SOURCE_OPTIONS, streamLogSource, UsageError } from './cli-support';

const USAGE = `usage: npm run analyze -- <log file | - | --cloudwatch <group> [--since 15m] [--stream <name>]...> [--json] [--max-queries ${DEFAULT_MANY_QUERIES}] [--html <file> [--title <text>]]

Reads the service's JSON log lines (a file, stdin with -, or a CloudWatch Logs
group over the last --since) and reports latency per route, SQL time per
request, N+1 patterns, the slowest SQL shapes and failures, ending with a verdict.
--html also writes the report as one self-contained HTML page with charts of
the run over time and the traces of the example requests.`;

/** A "matches the request id" test without parsing the line: most lines of a large log are not wanted. */
const REQUEST_ID = /"request_id":"([^"\\]*)"/;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...SOURCE_OPTIONS,
      'max-queries': { type: 'string' },
      html: { type: 'string' },
      title: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('give one log file');
  if (positionals.length === 0 && values.cloudwatch === undefined) {
    throw new UsageError('give a log file, - for stdin, or --cloudwatch <group>');
  }
  if (values.title !== undefined && values.html === undefined) throw new UsageError('--title goes with --html');
  const manyQueries = parseMaxQueries(values['max-queries']);
  const source = chooseSource(positionals[0], values, '15m');
  const analyzer = new LogAnalyzer({ manyQueries });

  // The page traces example requests, found only once the whole log is read: a
  // second pass reads a file again, and stdin or CloudWatch from a copy kept on the way.
  const spoolDir =
    values.html !== undefined && source.kind !== 'file' ? mkdtempSync(path.join(tmpdir(), 'analyze-')) : undefined;
  try {
    const spool = spoolDir === undefined ? undefined : openSync(path.join(spoolDir, 'log'), 'w');
    const { skipped } = await streamLogSource(
      source,
      (line) => analyzer.add(line),
      spool === undefined ? undefined : (raw) => (writeSync(spool, `${raw}\n`), true),
    );
    if (spool !== undefined) closeSync(spool);
    const analysis = analyzer.result();
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ ...analysis, skippedLines: skipped }, null, 2)}\n`
        : formatAnalysis(analysis, skipped),
    );

    if (values.html !== undefined) {
      const ids = new Set(exampleRequestIds(analysis));
      const lines: LogLine[] = [];
      await streamLogSource(
        spoolDir === undefined ? source : { kind: 'file', path: path.join(spoolDir, 'log') },
        (line) => lines.push(line),
        (raw) => ids.has(REQUEST_ID.exec(raw)?.[1] ?? ''),
      );
      writeFileSync(
        values.html,
        renderAnalysisReport({
          title: values.title ?? `TaskOverflow log analysis: ${analysis.verdict.bottleneck}`,
          source: describeSource(source),
          generatedAt: new Date().toISOString(),
          skippedLines: skipped,
          analysis,
          traces: traceAll(lines, [...ids]),
        }),
      );
      console.error(`report written to ${values.html}`);
    }
  } finally {
    if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
  }
  return 0;
}

function parseMaxQueries(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--max-queries must be a whole number: got "${text}"`);
  return Number(text);
}

runCli(main, USAGE);
