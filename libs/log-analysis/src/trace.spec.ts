import { healthyTraffic, logOf } from '../test/synthetic-log';
import { trace } from './trace';

const T0 = Date.UTC(2026, 0, 1);

describe('trace', () => {
  const lines = logOf([
    ...healthyTraffic(3),
    {
      id: 'target',
      method: 'PUT',
      route: '/api/v1/todos/:id',
      url: '/api/v1/todos/7',
      startMs: T0 + 10,
      startLine: true,
      durationMs: 30,
      queries: [
        { query: 'SELECT 1', atMs: 4, durationMs: 6 },
        { query: 'UPDATE todos SET completed = $1 WHERE id = $2', atMs: 12, durationMs: 8, errorCode: '40001' },
      ],
    },
  ]);

  it('puts the request’s lines on one timeline from its start', () => {
    const timeline = trace(lines, 'target');

    expect(timeline).toMatchObject({
      requestId: 'target',
      route: 'PUT /api/v1/todos/:id',
      url: '/api/v1/todos/7',
      startedAt: new Date(T0 + 10).toISOString(),
      status: 200,
      durationMs: 30,
      sqlMs: 14,
      queryCount: 2,
    });
    expect(timeline?.events.map((e) => [e.kind, e.offsetMs, e.durationMs, e.message])).toEqual([
      ['start', 0, undefined, 'Request started'],
      ['sql', 4, 6, 'Query'],
      ['sql', 12, 8, 'Query failed'],
      ['finish', 30, 30, 'Request finished'],
    ]);
    expect(timeline?.events[2]).toMatchObject({ errorCode: '40001' });
  });

  it('keeps the request’s other lines in time order', () => {
    const withError = [
      ...lines,
      {
        timestamp: new Date(T0 + 10 + 25).toISOString(),
        level: 'error',
        location: 'TodosService',
        message: 'Serialization failure',
        request_id: 'target',
      },
    ];
    const events = trace(withError, 'target')?.events ?? [];
    expect(events.map((e) => e.kind)).toEqual(['start', 'sql', 'sql', 'log', 'finish']);
  });

  it('without a start line (the service’s default), starts duration_ms before the finish line', () => {
    const withoutStart = lines.filter((l) => l.message !== 'Request started');
    const timeline = trace(withoutStart, 'target');

    expect(timeline?.startedAt).toBe(new Date(T0 + 10).toISOString());
    expect(timeline?.events.map((e) => [e.kind, e.offsetMs, e.durationMs, e.message])).toEqual([
      ['start', 0, undefined, 'Request started'],
      ['sql', 4, 6, 'Query'],
      ['sql', 12, 8, 'Query failed'],
      ['finish', 30, 30, 'Request finished'],
    ]);
  });

  it('measures from the earliest line when neither the start nor the finish line is there', () => {
    const cut = lines.filter(
      (l) => !(l.request_id === 'target' && (l.message === 'Request started' || l.message === 'Request finished')),
    );
    expect(trace(cut, 'target')?.events[0]).toMatchObject({ kind: 'sql', offsetMs: 0 });
    expect(trace(cut, 'target')?.startedAt).toBe(new Date(T0 + 10 + 4 + 6).toISOString());
  });

  it('is undefined for an id no line carries', () => {
    expect(trace(lines, 'absent')).toBeUndefined();
  });
});
