/**
 * The shape of a statement: what stays the same when only its values change,
 * so that `WHERE id = $1`, `WHERE id = 7` and `WHERE id = 8` count as one query.
 * The leading sqlcommenter comment carries the request id, so it goes too.
 */
export function normalizeQuery(query: string): string {
  return (
    query
      .replace(/^\s*\/\*[\s\S]*?\*\/\s*/, '')
      .replace(/'(?:[^']|'')*'/g, '?')
      .replace(/\$\d+/g, '?')
      .replace(/\b\d+(?:\.\d+)?\b/g, '?')
      .replace(/\s+/g, ' ')
      // An IN list of any length is one shape: `IN (?, ?, ?)` → `IN (?)`.
      .replace(/\(\s*\?(?:\s*,\s*\?)+\s*\)/g, '(?)')
      .trim()
  );
}
