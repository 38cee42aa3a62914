/**
 * Whether an If-None-Match header matches `etag` (RFC 9110 §13.1.2: weak
 * comparison, a list of tags, or `*` for any current list).
 *
 * Not the `fresh` package: it ignores the header whenever the request also
 * says `Cache-Control: no-cache`, and fetch() adds exactly that to every
 * request that carries If-None-Match, so Node and browser clients would
 * never get a 304. That directive is for caches on the way, not the origin.
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}
