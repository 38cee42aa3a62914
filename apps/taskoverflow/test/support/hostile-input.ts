import fc from 'fast-check';
import { BODY_LIMIT_BYTES as BODY_LIMIT } from '../../src/app.factory';

/*
 * What the hostile-input properties send: fast-check generators of bodies,
 * ids, query strings and headers, from the plausible to the malicious.
 */

const SQL_LOOKING = [
  "'; DROP TABLE todos; --",
  "' OR '1'='1",
  '"; SELECT pg_sleep(10); --',
  "'); DELETE FROM todos; --",
  "' UNION SELECT usename, passwd FROM pg_shadow --",
  '$1',
  '$$ $tag$',
  "E'\\x41'",
  '\\',
  "\\'",
  '%_',
  '/* */',
  '::text',
  '\\u0000',
  'NULL',
];
const RIGHT_TO_LEFT = ['שלום עולם', 'مرحبا بالعالم', '\u202Eevil\u202C', '\u200F', '\u061C'];
const UNUSUAL_UNICODE = [
  '😀',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '🇦🇺',
  'e\u0301',
  '\uFEFF',
  '\u2028\u2029',
  '\u00A0',
  '\uFFFD',
  '\uFFFF',
  '\u{10FFFF}',
  'Z̸̢͉̈́a̶l̷g̵o',
];

/** Text PostgreSQL can store as it is: any code point but NUL, surrogates only in pairs. */
export const storableText = (min: number, max: number) =>
  fc
    .array(
      fc.oneof(
        fc.constantFrom(...SQL_LOOKING, ...RIGHT_TO_LEFT, ...UNUSUAL_UNICODE),
        fc.string({ unit: 'binary', maxLength: 8 }),
        fc.string({ unit: 'grapheme', maxLength: 8 }),
      ),
      { maxLength: 10 },
    )
    .map((parts) =>
      Array.from(parts.join(''))
        .filter((char) => char !== '\u0000')
        .slice(0, max)
        .join(''),
    )
    .filter((text) => Array.from(text).length >= min);

/** One character the database cannot store faithfully: NUL, or half a surrogate pair. */
export const unstorableChar = fc.constantFrom('\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF');

const validDeadline = fc.constantFrom(
  null,
  '2023-12-04T14:00:00',
  '2024-02-29T23:59:59.999999',
  '2023-12-04T14:00:00Z',
  '2023-12-04T14:00:00+10:00',
);

/** A value of the wrong JSON type for every field (numbers as strings are right for none but the text fields). */
const WRONG_TYPE = {
  title: fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  ),
  description: fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.array(fc.constant(null), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  ),
  completed: fc.oneof(fc.constantFrom('true', 'false', '1', '0', 'yes', ''), fc.integer(), fc.constant(null)),
  deadline_at: fc.oneof(fc.integer(), fc.constantFrom('1701698400', 'now', '2023-02-30T00:00:00', ''), fc.boolean()),
};
const RIGHT_TYPE = {
  title: fc.oneof(storableText(0, 100), fc.constantFrom('1', '0', '-1', '1e3', 'NaN', 'true', 'null')),
  description: fc.oneof(storableText(0, 130), fc.constant(null)),
  completed: fc.boolean(),
  deadline_at: validDeadline,
};
type Field = keyof typeof RIGHT_TYPE;
const FIELDS = Object.keys(RIGHT_TYPE) as Field[];

const HOSTILE_KEYS = [
  'id',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'created_at',
  '',
  'Title',
  ' title',
  'title\u0000',
];

/** A JSON object written as text, so that keys like __proto__ and repeated keys survive. */
export const objectText = (entries: [string, unknown][]) =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;

export interface HostileBody {
  what: string;
  text: string;
  contentType?: string;
  /** Wrong by construction: must be refused, whatever else it carries. */
  mustReject: boolean;
}

/** Todo-shaped objects: each field of the right or the wrong type, maybe with keys no todo has. */
const todoShaped = fc
  .tuple(
    fc.record(
      Object.fromEntries(
        FIELDS.map((field) => [
          field,
          fc.oneof(
            fc.record({ wrong: fc.constant(true), value: WRONG_TYPE[field] }),
            fc.record({ wrong: fc.constant(false), value: RIGHT_TYPE[field] as fc.Arbitrary<unknown> }),
          ),
        ]),
      ) as Record<Field, fc.Arbitrary<{ wrong: boolean; value: unknown }>>,
      { requiredKeys: [] },
    ),
    fc.array(fc.tuple(fc.constantFrom(...HOSTILE_KEYS), fc.jsonValue({ maxDepth: 2 })), { maxLength: 2 }),
  )
  .map(([fields, extra]): HostileBody => {
    const entries = Object.entries(fields) as [Field, { wrong: boolean; value: unknown }][];
    return {
      what: 'todo-shaped',
      text: objectText([...entries.map(([key, { value }]): [string, unknown] => [key, value]), ...extra]),
      mustReject: extra.length > 0 || entries.some(([, { wrong }]) => wrong),
    };
  });

/** Nesting as deep as the body limit allows, where a title or an unknown field would be. */
const deeplyNested = fc
  .tuple(fc.integer({ min: 1, max: 9000 }), fc.constantFrom('array', 'object', 'proto'), fc.boolean())
  .map(([depth, kind, asTitle]): HostileBody => {
    const nested =
      kind === 'array'
        ? '['.repeat(depth) + ']'.repeat(depth)
        : `${(kind === 'proto' ? '{"__proto__":' : '{"a":').repeat(depth)}1${'}'.repeat(depth)}`;
    return {
      what: `nested ${kind} ${depth}`,
      text: asTitle ? `{"title":${nested}}` : `{"title":"deep","nested":${nested}}`,
      mustReject: true,
    };
  });

const MALFORMED = [
  '{',
  '{"title":"x",}',
  "{'title':'x'}",
  '{"title":"x"} trailing',
  '{"title":NaN}',
  '{"title":1e400}',
  '{"title":"x"}{"title":"y"}',
  '/* comment */ {"title":"x"}',
  '{"title":"x","completed":tru}',
  '{"\\u005f_proto__":{"polluted":true},"title":"x"}',
  '{"title":"x","__proto__":{"polluted":true}}',
  '{"title":"x","constructor":{"prototype":{"polluted":true}}}',
  '[]',
  '[{"title":"x"}]',
  '""',
  '0',
  'true',
  'null',
  '',
  '{"title":"x"}\u0000',
];
const malformed = fc
  .constantFrom(...MALFORMED)
  .map((text): HostileBody => ({ what: 'malformed', text, mustReject: true }));

/** Any JSON at all: most of it is not a todo, some of it may be. */
const anyJson = fc.jsonValue({ maxDepth: 4 }).map((value): HostileBody => ({
  what: 'any JSON',
  text: JSON.stringify(value) ?? 'null',
  mustReject: typeof value !== 'object' || value === null || Array.isArray(value),
}));

/** A well-formed todo with a content type that is not JSON's. */
const wrongContentType = fc
  .constantFrom(
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonx',
    'application/xml',
    'text/json',
  )
  .map((contentType): HostileBody => ({ what: 'content type', text: '{"title":"x"}', contentType, mustReject: true }));

export const hostileBody = fc.oneof(todoShaped, todoShaped, deeplyNested, malformed, anyJson, wrongContentType);

/** Strings over the 16 KiB body limit, counted in bytes: 4,100 emoji are 16,400 bytes. */
export const oversizedBody = fc
  .tuple(
    fc.constantFrom('x', 'é', '😀', '\u0000'),
    fc.integer({ min: 1, max: 3 * BODY_LIMIT }),
    fc.constantFrom<Field>('title', 'description'),
  )
  .map(([char, count, field]) => JSON.stringify({ title: 'x', [field]: char.repeat(count) }))
  .filter((text) => Buffer.byteLength(text) > BODY_LIMIT);

/** Path ids: numbers in and out of range, numbers in other notations, text, broken percent-encodings. */
export const anyId = fc.oneof(
  fc.integer({ min: -5, max: 3_000_000_000 }).map(String),
  fc.constantFrom(
    '1e3',
    '0x10',
    '+5',
    '01',
    '1.0',
    '1.5',
    '-0',
    '0',
    '2147483647',
    '2147483648',
    '99999999999999999999',
    'NaN',
    'Infinity',
    'undefined',
    'null',
    'true',
    '..',
    '%',
    '%00',
    '5%00',
    '%2F',
    '%E0%A4%A',
    '%ZZ',
    '%F0%9F%98%80',
    '1;DROP%20TABLE%20todos',
    '1%20OR%201=1',
    "1'",
    '%20%201',
    '1'.repeat(101),
  ),
  fc.string({ unit: 'binary', maxLength: 12 }).map(encodeURIComponent),
);

const queryKey = fc.oneof(
  fc.constantFrom(
    'completed',
    'window',
    'limit',
    'after_id',
    'unknown',
    '__proto__',
    'constructor',
    'completed[]',
    'window[0]',
    '',
  ),
  fc.string({ maxLength: 5 }).map(encodeURIComponent),
);
const queryValue = fc.oneof(
  fc.constantFrom(
    'true',
    'false',
    '1',
    '0',
    '-1',
    '1e3',
    '0x10',
    '',
    '%20',
    '%',
    '%00',
    '%E0%A4',
    '%FF',
    'null',
    '9'.repeat(30),
    'true%00',
    '%27%3B%20DROP%20TABLE%20todos%3B--',
  ),
  fc.integer().map(String),
  fc.string({ unit: 'binary', maxLength: 8 }).map(encodeURIComponent),
);
export const queryString = fc
  .array(fc.tuple(queryKey, queryValue), { maxLength: 5 })
  .map((pairs) => pairs.map(([key, value]) => `${key}=${value}`).join('&'));

/** A header value as raw bytes: any byte but CR and LF, which would end the header line. */
export const headerValue = fc
  .array(
    fc.integer({ min: 0, max: 255 }).filter((byte) => byte !== 13 && byte !== 10),
    { maxLength: 40 },
  )
  .map((bytes) => Buffer.from(bytes).toString('latin1'));
export const headerName = fc.oneof(
  fc.constantFrom(
    'X-Request-Id',
    'Content-Type',
    'Accept',
    'Accept-Encoding',
    'Content-Encoding',
    'Expect',
    'Origin',
    'X-Forwarded-For',
    'Cookie',
    'Range',
    'If-None-Match',
    'traceparent',
    'Authorization',
    'Transfer-Encoding',
    'Host',
  ),
  fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/),
);
