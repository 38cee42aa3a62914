/** One log line as CloudWatch Logs stores it (the shape of the SDK's InputLogEvent). */
export interface LogEvent {
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  message: string;
}

/** PutLogEvents limits, as documented for the API. */
export const MAX_BATCH_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
/** What the service adds to each message's UTF-8 length when counting a batch's bytes. */
export const EVENT_OVERHEAD_BYTES = 26;
/** 256 KiB including the overhead: the long-standing per-event limit, kept as a safe bound. */
export const MAX_EVENT_BYTES = 262_144;
export const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;

const MAX_MESSAGE_BYTES = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES;

// ISO 8601 date and time as our log schema writes it; Date.parse alone also accepts looser forms.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;
const HAS_OFFSET = /(Z|[+-]\d{2}:\d{2})$/;

/** The event's size as PutLogEvents counts it. */
export function eventBytes(event: LogEvent): number {
  return Buffer.byteLength(event.message, 'utf8') + EVENT_OVERHEAD_BYTES;
}

/**
 * Turns one JSON log line into an event: the time is the line's `timestamp`
 * (ISO 8601), else pino's numeric `time`, else `now`. A line over the
 * per-event limit is truncated rather than dropped, so the service accepts it.
 */
export function toLogEvent(line: string, now = Date.now()): LogEvent {
  return { timestamp: timestampOf(line) ?? now, message: truncateMessage(line) };
}

/**
 * Cuts a message to fit one event, on a character boundary, ending it with a
 * marker that says how many bytes were cut.
 */
function truncateMessage(message: string): string {
  if (Buffer.byteLength(message, 'utf8') <= MAX_MESSAGE_BYTES) return message;
  const bytes = Buffer.from(message, 'utf8');
  // The marker for the whole length is at least as long as the one for the part cut.
  let end = MAX_MESSAGE_BYTES - Buffer.byteLength(truncationMarker(bytes.length), 'utf8');
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + truncationMarker(bytes.length - end);
}

/** Orders events oldest first, in place; sort is stable, so equal times keep arrival order. */
export function sortByTimestamp(events: LogEvent[]): LogEvent[] {
  return events.sort((a, b) => a.timestamp - b.timestamp);
}

/**
 * How many events from the start of `sorted` (oldest first) fit in one
 * PutLogEvents request: at most 10,000 events and 1,048,576 bytes, spanning at
 * most 24 hours. At least one, since a single event always fits.
 */
export function firstBatchLength(sorted: readonly LogEvent[]): number {
  const limit = Math.min(sorted.length, MAX_BATCH_EVENTS);
  let bytes = 0;
  for (let i = 0; i < limit; i++) {
    bytes += eventBytes(sorted[i]);
    const span = sorted[i].timestamp - sorted[0].timestamp;
    if (bytes > MAX_BATCH_BYTES || span > MAX_BATCH_SPAN_MS) return i;
  }
  return limit;
}

function truncationMarker(cutBytes: number): string {
  return `…[truncated ${cutBytes} bytes]`;
}

function timestampOf(line: string): number | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const { timestamp, time } = record as { timestamp?: unknown; time?: unknown };
  if (typeof timestamp === 'string' && ISO_DATE_TIME.test(timestamp)) {
    // Without an offset, JavaScript would read local time; our timestamps are UTC.
    const parsed = Date.parse(HAS_OFFSET.test(timestamp) ? timestamp : `${timestamp}Z`);
    if (Number.isFinite(parsed)) return parsed;
  }
  if (typeof time === 'number' && Number.isFinite(time)) return Math.trunc(time);
  return undefined;
}
