import { BadRequestException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { parse } from 'secure-json-parse';
import type { ErrorDetail } from './request-validation';

/** A string holding an unpaired UTF-16 surrogate: with the `u` flag a proper pair is one code point. */
const UNPAIRED_SURROGATE = /\p{Cs}/u;

function refuse(error: string, details?: ErrorDetail[]): BadRequestException {
  return new BadRequestException(details ? { error, details } : { error });
}

/** Where in the body a string (key or value) is not valid Unicode, if anywhere. */
function invalidUnicodeAt(value: unknown, field: string): string | undefined {
  if (typeof value === 'string') return UNPAIRED_SURROGATE.test(value) ? field : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = `${field}.${key}`;
    if (UNPAIRED_SURROGATE.test(key)) return at;
    const found = invalidUnicodeAt(item, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Which key secure-json-parse refused: its message is the same for both. */
function pollutingKey(body: string): string {
  try {
    parse(body, { protoAction: 'error', constructorAction: 'ignore' });
    return '"constructor.prototype"';
  } catch {
    return '"__proto__"';
  }
}

/**
 * The JSON body parser, refusing what Fastify's own refuses, with the reason.
 * Fastify's parser (secure-json-parse too) answers a `__proto__` or
 * `constructor.prototype` key, like a syntax error, "Body is not valid JSON":
 * its error drops the cause. A string with an unpaired surrogate escape
 * (`"\ud800"`) is refused here as well: it is not Unicode (I-JSON, RFC 7493,
 * forbids it), and PostgreSQL's UTF-8 could only store it altered.
 */
export function useJsonBodies(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body: string, done) => {
    if (body.length === 0) {
      done(refuse('The request body is empty; send a JSON object'), undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = parse(body, { protoAction: 'error', constructorAction: 'error' });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const key = /forbidden prototype property/.test(reason) ? pollutingKey(body) : undefined;
      done(
        key
          ? refuse('Invalid request body', [
              { field: 'body', message: `must not contain a ${key} key (refused: it could pollute object prototypes)` },
            ])
          : refuse('Body is not valid JSON', [{ field: 'body', message: reason }]),
        undefined,
      );
      return;
    }
    const field = invalidUnicodeAt(parsed, 'body');
    if (field !== undefined) {
      done(
        refuse('Invalid request body', [{ field, message: 'must be valid Unicode: it holds an unpaired surrogate' }]),
        undefined,
      );
      return;
    }
    done(null, parsed);
  });
}
