/**
 * One JSON line of the service's log, with the fields of the log schema
 * (docs/observability.md) that the analysis reads. Other fields are kept but not typed.
 */
export interface LogLine {
  timestamp: string;
  level?: string;
  location?: string;
  message: string;
  request_id?: string;
  method?: string;
  url?: string;
  handler?: string;
  route?: string;
  status_code?: number;
  duration_ms?: number;
  response_bytes?: number;
  query?: string;
  parameter_count?: number;
  slow?: boolean;
  error_code?: string;
  [field: string]: unknown;
}

export interface ParsedLog {
  lines: LogLine[];
  /** Non-blank lines that were not a JSON log line (npm's banner, a stack trace, a cut-off line). */
  skipped: number;
}

export const REQUEST_STARTED = 'Request started';
export const REQUEST_FINISHED = 'Request finished';

export function parseLogLines(text: string): ParsedLog {
  const parsed: ParsedLog = { lines: [], skipped: 0 };
  for (const raw of text.split('\n')) addLine(parsed, raw);
  return parsed;
}

/** The same, line by line: a file too large to hold as one string, or CloudWatch events. */
export async function parseLogStream(raws: Iterable<string> | AsyncIterable<string>): Promise<ParsedLog> {
  const parsed: ParsedLog = { lines: [], skipped: 0 };
  for await (const raw of raws) addLine(parsed, raw);
  return parsed;
}

function addLine(parsed: ParsedLog, raw: string): void {
  if (raw.trim() === '') return;
  const line = parseLogLine(raw);
  if (line) parsed.lines.push(line);
  else parsed.skipped++;
}

/** One line of the log, undefined when it is not a JSON log line with a time and a message. */
export function parseLogLine(raw: string): LogLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const line = value as Record<string, unknown>;
  // Without a time and a message a line cannot be placed on a timeline.
  if (typeof line.timestamp !== 'string' || Number.isNaN(Date.parse(line.timestamp))) {
    return undefined;
  }
  if (typeof line.message !== 'string') return undefined;
  return line as LogLine;
}

export function timeOf(line: LogLine): number {
  return Date.parse(line.timestamp);
}

export function isSqlStatement(line: LogLine): boolean {
  return (
    line.location === 'sql' &&
    typeof line.query === 'string' &&
    (line.message === 'Query' || line.message === 'Query failed')
  );
}

export function isRequestStarted(line: LogLine): boolean {
  return line.location === 'http' && line.message === REQUEST_STARTED;
}

export function isRequestFinished(line: LogLine): boolean {
  return line.location === 'http' && line.message === REQUEST_FINISHED;
}

export const PROCESS_METRICS = 'Process metrics';

/** A process's periodic metrics line (LOG_METRICS_INTERVAL_MS), with its event-loop utilisation. */
export function isProcessMetrics(line: LogLine): line is LogLine & { event_loop_utilization: number } {
  return (
    line.location === 'process' && line.message === PROCESS_METRICS && typeof line.event_loop_utilization === 'number'
  );
}
