import { parseLogLines } from './log-line';

describe('parseLogLines', () => {
  it('keeps JSON log lines and counts the rest as skipped, ignoring blank lines', () => {
    const text = [
      '> taskoverflow@0.1.0 start',
      '{"timestamp":"2026-01-01T00:00:00.000Z","level":"info","location":"http","message":"Request started","request_id":"a"}',
      '',
      '{"timestamp":"2026-01-01T00:00:00.010Z","level":"info","message":"cut off',
      '[1, 2]',
      '{"message":"no timestamp"}',
      '{"timestamp":"yesterday","message":"unreadable timestamp"}',
      '{"timestamp":"2026-01-01T00:00:00.020Z","level":"info","location":"sql","message":"Query","query":"SELECT 1","duration_ms":1}',
      '   ',
    ].join('\n');

    const { lines, skipped } = parseLogLines(text);

    expect(lines.map((line) => line.message)).toEqual(['Request started', 'Query']);
    expect(lines[1].duration_ms).toBe(1);
    expect(skipped).toBe(5);
  });

  it('reads Windows line endings', () => {
    const { lines, skipped } = parseLogLines(
      '{"timestamp":"2026-01-01T00:00:00.000Z","message":"a"}\r\n{"timestamp":"2026-01-01T00:00:00.000Z","message":"b"}\r\n',
    );
    expect(lines).toHaveLength(2);
    expect(skipped).toBe(0);
  });
});
