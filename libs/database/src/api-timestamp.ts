import { type CustomTypesConfig, types } from 'pg';

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
 * The session time zone of every connection the database module opens
 * (a startup parameter, so no statement sets it): timestamptz values are then
 * written as UTC, the API's zone, whatever the server's or the role's default.
 */
export const SESSION_TIME_ZONE = 'UTC';

const TIMESTAMPTZ: number = types.builtins.TIMESTAMPTZ;
const keepText = (text: string): string => text;

/**
 * node-postgres' type parsers, except that a timestamptz stays PostgreSQL's
 * own text (2023-12-04 14:00:00.5+00, DateStyle ISO): for rows that pass
 * through Node anyway, apiTimestampFromSql turns it into the API's form. The
 * statement selects the plain columns (no conversion in SQL, so PostgreSQL
 * does no more than for any client and the logged statement stays short),
 * and the microseconds a JavaScript Date would lose are kept.
 */
export const TIMESTAMPTZ_AS_TEXT: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ && format !== 'binary'
      ? keepText
      : (types.getTypeParser(oid, format) as (value: string) => unknown)) as CustomTypesConfig['getTypeParser'],
};

/**
 * A timestamptz read with TIMESTAMPTZ_AS_TEXT as the API writes it: 'T' for
 * the space, six digits of a fraction, no offset. The text must be ISO
 * DateStyle (PostgreSQL's default, which node-postgres relies on too) in UTC
 * (SESSION_TIME_ZONE): anything else is a misconfigured connection, named.
 */
export function apiTimestampFromSql(text: string): string {
  const isoDateStyle = text.length >= 19 && text[4] === '-' && text[7] === '-' && text[10] === ' ';
  if (!isoDateStyle) {
    throw new Error(`PostgreSQL wrote the timestamp ${JSON.stringify(text)}: its DateStyle must be ISO`);
  }
  if (!text.endsWith('+00')) {
    throw new Error(`PostgreSQL wrote the timestamp ${JSON.stringify(text)}: the session's TimeZone must be UTC`);
  }
  const iso = `${text.slice(0, 10)}T${text.slice(11, -3)}`;
  return iso.length === 19 ? iso : iso.padEnd(26, '0');
}

/** A Date (a TypeORM entity's timestamptz, millisecond precision) as the API writes it. */
export function formatApiTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2023-12-04T14:00:00.500Z
  const milliseconds = iso.slice(20, 23);
  return milliseconds === '000' ? iso.slice(0, 19) : `${iso.slice(0, 19)}.${milliseconds}000`;
}
