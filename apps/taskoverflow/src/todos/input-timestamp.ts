const HAS_ZONE = /(?:z|[+-]\d\d(?::?\d\d)?)$/i;

/**
 * A validated ISO 8601 input timestamp, made explicit about its zone: one
 * without a zone is UTC by contract, whatever the database session's TimeZone.
 * PostgreSQL then parses it, keeping microseconds a JavaScript Date would lose.
 */
export function asUtcTimestamp(value: string): string;
export function asUtcTimestamp(value: string | null): string | null;
export function asUtcTimestamp(value: string | null): string | null {
  if (value === null) return null;
  return HAS_ZONE.test(value) ? value : `${value}Z`;
}
