import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';

const logger = new Logger('ApiKeys');

/** Hashed, so that every comparison is of 32 bytes whatever the lengths, and takes the same time. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Whether `presented` is one of the keys; every key is compared, none is skipped early. */
export function matchesAnyKey(presented: string, keyDigests: readonly Buffer[]): boolean {
  const candidate = digest(presented);
  let matched = false;
  for (const key of keyDigests) matched = timingSafeEqual(candidate, key) || matched;
  return matched;
}

/** The token of `Authorization: Bearer <token>`; undefined when the header is absent or another scheme. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/**
 * Requires `Authorization: Bearer <one of the keys>` on every request but
 * those `isOpen` lets through (the health checks, the API's documents). A
 * preParsing hook: after the rate limit (onRequest), which so also counts
 * failed attempts, and before a body is read. Keys in the URL are not
 * accepted: URLs are logged.
 */
export function requireApiKeys(
  fastify: FastifyInstance,
  keys: readonly string[],
  isOpen: (request: FastifyRequest) => boolean,
): void {
  const keyDigests = keys.map(digest);
  fastify.addHook('preParsing', (request, reply, _payload, done) => {
    if (isOpen(request)) return done();
    const token = bearerToken(request);
    if (token !== undefined && matchesAnyKey(token, keyDigests)) return done();
    // What went wrong, never the key: neither the one sent nor the ones expected.
    logger.warn(
      token === undefined
        ? `No API key: ${request.method} ${request.url} without Authorization: Bearer`
        : `Wrong API key: ${request.method} ${request.url}`,
    );
    void reply.header(
      'WWW-Authenticate',
      token === undefined ? 'Bearer realm="taskoverflow"' : 'Bearer realm="taskoverflow", error="invalid_token"',
    );
    done(
      new HttpException(
        { error: 'Missing or wrong API key: send it as Authorization: Bearer <key>' },
        HttpStatus.UNAUTHORIZED,
      ),
    );
  });
}
