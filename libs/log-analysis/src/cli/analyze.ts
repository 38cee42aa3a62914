import { parseArgs } from 'node:util';
import { DEFAULT_MANY_QUERIES, LogAnalyzer } from '../analyze';
import { formatAnalysis } from '../report';
import { chooseSource, runCli, SOURCE_OPTIONS, streamLogSource, UsageError } from './cli-support';

const USAGE = `usage: npm run analyze -- <log file | - | --cloudwatch <group> [--since 15m] [--stream <name>]...> [--json] [--max-queries ${DEFAULT_MANY_QUERIES}]

Reads the service's JSON log lines (a file, stdin with -, or a CloudWatch Logs
group over the last --since) and reports latency per route, SQL time per
request, N+1 patterns, the slowest SQL shapes and failures, ending with a verdict.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...SOURCE_OPTIONS, 'max-queries': { type: 'string' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('give one log file');
  if (positionals.length === 0 && values.cloudwatch === undefined) {
    throw new UsageError('give a log file, - for stdin, or --cloudwatch <group>');
  }
  const manyQueries = parseMaxQueries(values['max-queries']);
  const source = chooseSource(positionals[0], values, '15m');
  const analyzer = new LogAnalyzer({ manyQueries });
  const { skipped } = await streamLogSource(source, (line) => analyzer.add(line));
  const analysis = analyzer.result();
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ ...analysis, skippedLines: skipped }, null, 2)}\n`
      : formatAnalysis(analysis, skipped),
  );
  return 0;
}

function parseMaxQueries(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--max-queries must be a whole number: got "${text}"`);
  return Number(text);
}

runCli(main, USAGE);
