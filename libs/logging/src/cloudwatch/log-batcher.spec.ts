import {
  EVENT_OVERHEAD_BYTES,
  eventBytes,
  firstBatchLength,
  type LogEvent,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BATCH_SPAN_MS,
  MAX_EVENT_BYTES,
  sortByTimestamp,
  toLogEvent,
} from './log-batcher';

const T0 = Date.UTC(2025, 0, 15, 12);
const HOUR = 60 * 60 * 1000;
const MARKER = /…\[truncated (\d+) bytes\]$/;

/** Every batch a sequence of events makes, as the shipper takes them one after another. */
function batches(events: LogEvent[]): LogEvent[][] {
  const rest = sortByTimestamp([...events]);
  const result: LogEvent[][] = [];
  while (rest.length > 0) result.push(rest.splice(0, firstBatchLength(rest)));
  return result;
}

function sizes(events: LogEvent[]): number[] {
  return batches(events).map((batch) => batch.length);
}

function totalBytes(batch: LogEvent[]): number {
  return batch.reduce((sum, event) => sum + eventBytes(event), 0);
}

function eventsAt(times: number[], message = 'm'): LogEvent[] {
  return times.map((timestamp) => ({ timestamp, message }));
}

/** The message split into what was kept and the byte count its marker gives. */
function truncation(message: string): { kept: string; cutBytes: number } {
  const marker = MARKER.exec(message);
  if (!marker) throw new Error(`no truncation marker at the end of ${message.slice(-40)}`);
  return { kept: message.slice(0, -marker[0].length), cutBytes: Number(marker[1]) };
}

describe('eventBytes', () => {
  it('counts UTF-8 bytes plus 26 per event', () => {
    const bytes = eventBytes({ timestamp: 0, message: 'aé€😀' });
    expect(bytes).toBe(1 + 2 + 3 + 4 + EVENT_OVERHEAD_BYTES);
  });
});

describe('toLogEvent', () => {
  const at = (record: unknown) => toLogEvent(JSON.stringify(record), 7).timestamp;

  it('keeps the line as the message', () => {
    const line = '{"level":30,"msg":"héllo","time":1}';
    expect(toLogEvent(line).message).toBe(line);
  });

  it('takes the time from the ISO 8601 timestamp field first', () => {
    expect(at({ timestamp: '2025-01-15T12:00:00.123Z', time: 5 })).toBe(T0 + 123);
  });

  it('reads a timestamp with an offset, and one without as UTC', () => {
    expect(at({ timestamp: '2025-01-15T14:00:00+02:00' })).toBe(T0);
    expect(at({ timestamp: '2025-01-15T12:00:00' })).toBe(T0);
  });

  it("falls back to pino's numeric time, then to now", () => {
    expect(at({ timestamp: 'yesterday', time: T0 })).toBe(T0);
    expect(at({ timestamp: '2025-13-45T99:00:00Z', time: T0 })).toBe(T0);
    expect(at({ time: 'noon' })).toBe(7);
    expect(at(42)).toBe(7);
    expect(toLogEvent('not json at all', 7)).toEqual({ timestamp: 7, message: 'not json at all' });
  });

  it('leaves an event of exactly the limit whole', () => {
    const line = 'x'.repeat(MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES);
    expect(toLogEvent(line).message).toBe(line);
  });

  it('truncates an oversized line to the limit, with a marker saying how much was cut', () => {
    const event = toLogEvent('x'.repeat(300_000));
    expect(eventBytes(event)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    const { kept, cutBytes } = truncation(event.message);
    expect(kept).toBe('x'.repeat(kept.length));
    expect(kept.length + cutBytes).toBe(300_000);
  });

  it.each([
    ['2-byte', 'é'],
    ['3-byte', '€'],
    ['4-byte (surrogate pair)', '😀'],
  ])('never splits a %s character when truncating', (_name, character) => {
    // Offsets of 0 to 3 bytes move the cut across every position inside a character.
    for (let offset = 0; offset < 4; offset++) {
      const line = 'a'.repeat(offset) + character.repeat(300_000 / Buffer.byteLength(character));
      const event = toLogEvent(line);
      expect(eventBytes(event)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
      expect(event.message).not.toContain('\uFFFD');
      const { kept, cutBytes } = truncation(event.message);
      expect(line.startsWith(kept)).toBe(true);
      expect(Buffer.byteLength(kept) + cutBytes).toBe(Buffer.byteLength(line));
    }
  });
});

describe('batching', () => {
  it('puts at most 10,000 events in a batch', () => {
    const events = eventsAt(Array.from({ length: 25_001 }, (_, i) => T0 + i));
    expect(sizes(events)).toEqual([MAX_BATCH_EVENTS, MAX_BATCH_EVENTS, 5001]);
  });

  it('keeps a batch within 1,048,576 bytes counting 26 per event, filling it to the byte', () => {
    // Events of exactly 1,048,576 / 8 bytes: 8 fit, a 9th would not.
    const message = 'y'.repeat(MAX_BATCH_BYTES / 8 - EVENT_OVERHEAD_BYTES);
    const events = eventsAt(
      Array.from({ length: 20 }, (_, i) => T0 + i),
      message,
    );
    expect(sizes(events)).toEqual([8, 8, 4]);
    expect(totalBytes(batches(events)[0])).toBe(MAX_BATCH_BYTES);
  });

  it('counts multi-byte characters by their UTF-8 size', () => {
    // 1000 characters of 3 bytes: 3026 bytes an event, so 346 fit (1,046,996 bytes), not 347.
    const events = eventsAt(
      Array.from({ length: 400 }, (_, i) => T0 + i),
      '€'.repeat(1000),
    );
    expect(sizes(events)).toEqual([346, 54]);
  });

  it('fits events truncated to the maximum size four to a batch', () => {
    const big = toLogEvent('z'.repeat(2_000_000));
    const events = eventsAt([T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4], big.message);
    expect(sizes(events)).toEqual([4, 1]);
    expect(totalBytes(batches(events)[0])).toBe(MAX_BATCH_BYTES);
  });

  it('orders events by time, keeping arrival order among equal times', () => {
    const events = [
      { timestamp: T0 + 2, message: 'c' },
      { timestamp: T0, message: 'a1' },
      { timestamp: T0 + 1, message: 'b' },
      { timestamp: T0, message: 'a2' },
      { timestamp: T0, message: 'a3' },
    ];
    const messages = batches(events)
      .flat()
      .map((event) => event.message);
    expect(messages).toEqual(['a1', 'a2', 'a3', 'b', 'c']);
  });

  it('starts a new batch rather than span more than 24 hours', () => {
    const events = [
      { timestamp: T0 + 30 * HOUR, message: 'd' },
      { timestamp: T0, message: 'a' },
      { timestamp: T0 + MAX_BATCH_SPAN_MS, message: 'b' },
      { timestamp: T0 + MAX_BATCH_SPAN_MS + 1, message: 'c' },
    ];
    const result = batches(events).map((batch) => batch.map((event) => event.message));
    expect(result).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
});
