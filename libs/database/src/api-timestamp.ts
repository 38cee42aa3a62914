/*
 * The API's one timestamp rule: UTC, ISO 8601 without an offset, fractional
 * seconds (six digits) only when they are not zero: 2023-12-04T14:00:00,
 * 2023-12-04T14:00:00.500000. Every module writes its timestamps with one of
 * the two functions below, whichever way it reads its rows.
 */

/** What every timestamp the API answers matches (for response schemas). */
export const API_TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{6})?$';

/**
 * A timestamptz column or expression as the API writes it, rendered by
 * PostgreSQL in SQL: for rows read as text or JSON, keeping the microseconds
 * a JavaScript Date would lose.
 */
export function apiTimestampSql(expression: string): string {
  const utc = `(${expression} AT TIME ZONE 'UTC')`;
  return (
    `to_char(${utc}, 'YYYY-MM-DD"T"HH24:MI:SS') || ` +
    `CASE WHEN extract(microseconds FROM ${utc}) % 1000000 = 0 THEN '' ELSE to_char(${utc}, '.US') END`
  );
}

/**
 * The cheaper way for rows that pass through Node anyway: PostgreSQL's own
 * text of the UTC timestamp (2023-12-04 14:00:00.5, in DateStyle ISO, the
 * default, which node-postgres relies on too), which apiTimestampFromSql
 * turns into the API's form. Cheaper for PostgreSQL than to_char, and the
 * statement (logged with every request) is 40 characters shorter a column.
 */
export function apiTimestampTextSql(expression: string): string {
  return `(${expression} AT TIME ZONE 'UTC')::text`;
}

/** A value of apiTimestampTextSql as the API writes it: 'T' for the space, six digits of a fraction. */
export function apiTimestampFromSql(text: string): string {
  const isoDateStyle = text.length >= 19 && text[4] === '-' && text[7] === '-' && text[10] === ' ';
  if (!isoDateStyle) {
    throw new Error(`PostgreSQL wrote the timestamp ${JSON.stringify(text)}: its DateStyle must be ISO`);
  }
  const iso = `${text.slice(0, 10)}T${text.slice(11)}`;
  return iso.length === 19 ? iso : iso.padEnd(26, '0');
}

/** A Date (a TypeORM entity's timestamptz, millisecond precision) as the API writes it. */
export function formatApiTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2023-12-04T14:00:00.500Z
  const milliseconds = iso.slice(20, 23);
  return milliseconds === '000' ? iso.slice(0, 19) : `${iso.slice(0, 19)}.${milliseconds}000`;
}
