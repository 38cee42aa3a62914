import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { readCloudWatchMessages } from '../cloudwatch-source';
import { parseLogLine, type LogLine } from '../log-line';

/** A bad command line: the CLI prints its usage and exits 2. */
export class UsageError extends Error {}

export type LogSource =
  | { kind: 'file'; path: string }
  | { kind: 'stdin' }
  | { kind: 'cloudwatch'; logGroupName: string; sinceMs: number; logStreamNames?: string[] };

const DURATION_UNITS_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `90s`, `15m`, `1h`, `2d` → milliseconds. */
export function parseSince(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (!match || Number(match[1]) === 0) {
    throw new UsageError(`--since must be a positive whole number with s, m, h or d: got "${text}"`);
  }
  return Number(match[1]) * DURATION_UNITS_MS[match[2]];
}

/** The source named by a positional path (`-` for stdin) or by --cloudwatch, never both. */
export function chooseSource(
  path: string | undefined,
  options: { cloudwatch?: string; since?: string; stream?: string[] },
  defaultSince: string,
): LogSource {
  if (options.cloudwatch !== undefined) {
    if (path !== undefined) throw new UsageError('give a log file or --cloudwatch, not both');
    return {
      kind: 'cloudwatch',
      logGroupName: options.cloudwatch,
      sinceMs: parseSince(options.since ?? defaultSince),
      logStreamNames: options.stream,
    };
  }
  if (options.since !== undefined || options.stream !== undefined) {
    throw new UsageError('--since and --stream go with --cloudwatch');
  }
  if (path === undefined || path === '-') return { kind: 'stdin' };
  return { kind: 'file', path };
}

/** The source as the report names it. */
export function describeSource(source: LogSource): string {
  switch (source.kind) {
    case 'file':
      return source.path;
    case 'stdin':
      return 'standard input';
    case 'cloudwatch':
      return `CloudWatch Logs ${source.logGroupName}${source.logStreamNames ? ` (${source.logStreamNames.join(', ')})` : ''}`;
  }
}

/**
 * Reads the source line by line, handing each log line to `onLine`; nothing
 * is kept, so the log may be larger than memory. `keep` skips raw lines
 * before they are parsed (a request id they must contain). Resolves with the
 * count of non-blank lines that were not JSON log lines.
 */
export async function streamLogSource(
  source: LogSource,
  onLine: (line: LogLine) => void,
  keep: (raw: string) => boolean = () => true,
): Promise<{ skipped: number }> {
  let skipped = 0;
  const take = (raw: string) => {
    if (!keep(raw) || raw.trim() === '') return;
    const line = parseLogLine(raw);
    if (line) onLine(line);
    else skipped++;
  };
  switch (source.kind) {
    case 'file':
      for await (const raw of lines(createReadStream(source.path, 'utf8'))) take(raw);
      break;
    case 'stdin':
      for await (const raw of lines(process.stdin)) take(raw);
      break;
    case 'cloudwatch': {
      const now = Date.now();
      const client = new CloudWatchLogsClient({});
      try {
        const messages = readCloudWatchMessages(client, {
          logGroupName: source.logGroupName,
          startTime: now - source.sinceMs,
          endTime: now,
          logStreamNames: source.logStreamNames,
        });
        for await (const raw of messages) take(raw);
      } finally {
        client.destroy();
      }
    }
  }
  return { skipped };
}

function lines(input: NodeJS.ReadableStream): AsyncIterable<string> {
  return createInterface({ input, crlfDelay: Infinity });
}

/** Exit 2 with the usage for a bad command line (parseArgs' own errors included), 1 for anything else. */
export function reportError(error: unknown, usage: string): number {
  const message = error instanceof Error ? error.message : String(error);
  const isUsage =
    error instanceof UsageError ||
    (error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'));
  console.error(isUsage ? `${message}\n\n${usage}` : message);
  return isUsage ? 2 : 1;
}

/** The options both commands take to choose and read their log source. */
export const SOURCE_OPTIONS = {
  cloudwatch: { type: 'string' },
  since: { type: 'string' },
  stream: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs a command's main and sets the exit code: its own, or reportError's. */
export function runCli(main: (argv: string[]) => Promise<number>, usage: string): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = reportError(error, usage);
    },
  );
}
