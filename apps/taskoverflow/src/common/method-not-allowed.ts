import type { FastifyInstance } from 'fastify';
import type { ErrorBody } from './http-error.filter';

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

/** `/api/v1/todos/:id` as a regular expression over request paths; `*` matches the rest. */
function pathPattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) =>
      segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}$`);
}

/** As the router sees it (ignoreTrailingSlash): without the query, and one trailing slash. */
function requestPath(url: string): string {
  const path = url.split('?', 1)[0];
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * A known path asked with a method it does not have gets 405 with `Allow`
 * (RFC 9110 §15.5.6), in the API's error shape, where Fastify would answer
 * 404, or for QUERY 400 for want of a Content-Type. Fastify keeps no list of
 * methods per path, so the routes are recorded as they are added; a request
 * that matched none is looked up by its path alone, at its first hook. Must
 * be called before any route is added.
 */
export function answerUndeclaredMethods(fastify: FastifyInstance): void {
  const known = new Map<string, KnownPath>();
  fastify.addHook('onRoute', (route) => {
    // A catch-all (CORS preflight's `OPTIONS *`) says nothing about which paths exist.
    if (route.url === '*' || route.url === '/*') return;
    const url = requestPath(route.url);
    const entry = known.get(url) ?? { pattern: pathPattern(url), methods: new Set<string>() };
    for (const method of [route.method].flat()) entry.methods.add(method);
    known.set(url, entry);
  });

  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url !== undefined) return done();
    const path = requestPath(request.url);
    const allowed = new Set<string>();
    for (const { pattern, methods } of known.values()) {
      if (pattern.test(path)) for (const method of methods) allowed.add(method);
    }
    if (allowed.size === 0) return done();
    const allow = [...allowed].sort().join(', ');
    const body: ErrorBody = { error: `${request.method} is not allowed here: use ${allow}` };
    void reply
      .code(405)
      .header('Allow', allow)
      .header('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify(body));
  });
}
