/*
 * Patterns of the request schemas, with what a client is told when a value
 * does not match. Ajv validates requests with them and the OpenAPI document
 * publishes them as they are, so the document says exactly what is accepted.
 * They use only what common regex engines share (no lookarounds, no
 * surrogate ranges): OpenAPI tools generate and check values with them too.
 */

/** Text PostgreSQL can store as sent: `text` refuses NUL. */
export const STORABLE_TEXT = '^[^\\u0000]*$';

const YEAR_0002_TO_9998 = '(?:000[2-9]|00[1-9]\\d|0[1-9]\\d{2}|[1-8]\\d{3}|9[0-8]\\d{2}|99[0-8]\\d|999[0-8])';
/** Month and day of any year: February up to the 28th. */
const MONTH_DAY =
  '(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))';
/** 29 February of the leap years: divisible by 4, centuries only by 400. */
const LEAP_DAY = '(?:\\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29';
/** Up to microseconds, PostgreSQL's precision: more digits would be rounded, perhaps into the next year. */
const TIME = '[Tt ](?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,6})?';
/** PostgreSQL takes offsets up to ±15:59. */
const OFFSET = '(?:[Zz]|[+-](?:0\\d|1[0-5])(?::?[0-5]\\d)?)';

/**
 * An ISO 8601 date and time that is a real calendar date, with an optional
 * offset. Its UTC instant must be renderable as the API renders times (years
 * 0001 to 9999): in years 0001 and 9999 only UTC itself is accepted (`Z` or
 * no offset), since an offset could carry it into year 0 or 10000.
 */
export const INPUT_TIMESTAMP =
  `^(?:(?:${YEAR_0002_TO_9998}-${MONTH_DAY}|${LEAP_DAY})${TIME}${OFFSET}?` +
  `|(?:0001|9999)-${MONTH_DAY}${TIME}[Zz]?)$`;

export const PATTERN_MESSAGES: Record<string, string> = {
  [STORABLE_TEXT]: 'must not contain NUL characters',
  [INPUT_TIMESTAMP]:
    'must be a real ISO 8601 date and time, e.g. 2023-12-04T14:00:00 (seconds required, ' +
    'at most 6 decimals, years 0001 to 9999, offsets up to ±15:59)',
};
