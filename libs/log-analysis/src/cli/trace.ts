import { parseArgs } from 'node:util';
import { formatTrace } from '../report';
import { trace } from '../trace';
import type { LogLine } from '../log-line';
import { chooseSource, runCli, SOURCE_OPTIONS, streamLogSource, UsageError } from './cli-support';

const USAGE = `usage: npm run trace -- <request_id> [log file | - | --cloudwatch <group> [--since 1h] [--stream <name>]...] [--json]

Prints one request's timeline: its start, each SQL statement with its offset
and duration, its other log lines, its finish. Without a source it reads stdin.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: SOURCE_OPTIONS,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [requestId, path, ...extra] = positionals;
  if (requestId === undefined) throw new UsageError('give a request id');
  if (extra.length > 0) throw new UsageError('give one request id and at most one log file');
  // Only lines that mention the id are parsed: a large log is read, not held.
  const lines: LogLine[] = [];
  await streamLogSource(
    chooseSource(path, values, '1h'),
    (line) => lines.push(line),
    (raw) => raw.includes(requestId),
  );
  const timeline = trace(lines, requestId);
  if (!timeline) {
    console.error(`no log line has request_id "${requestId}"`);
    return 1;
  }
  process.stdout.write(values.json ? `${JSON.stringify(timeline, null, 2)}\n` : formatTrace(timeline));
  return 0;
}

runCli(main, USAGE);
