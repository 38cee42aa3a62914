/**
 * `Response.json(selector)`: k6 reads selectors with GJSON's path syntax. This
 * covers the paths scripts use: keys (`user.name`), array indexes
 * (`items.0.id`), `#` (an array's length), `#.key` (that key of every
 * element), `*` and `?` wildcards in keys, and `\` escapes. GJSON's queries
 * (`#(...)`), modifiers (`@reverse`) and pipes (`|`) are refused by name
 * rather than answered wrongly.
 */

function splitPath(selector: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < selector.length; i++) {
    const char = selector[i];
    if (char === '\\' && i + 1 < selector.length) {
      current += `\\${selector[++i]}`;
    } else if (char === '.') {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function unsupported(selector: string, what: string): Error {
  return new Error(
    `json(): the selector "${selector}" uses ${what}, which this runner does not support (it reads keys, indexes, #, #.key and * ? wildcards); run this script with k6, or select in JavaScript`,
  );
}

function hasWildcard(part: string): boolean {
  return /(^|[^\\])[*?]/.test(part);
}

function unescape(part: string): string {
  return part.replace(/\\(.)/g, '$1');
}

function wildcardMatcher(part: string): RegExp {
  let pattern = '';
  for (let i = 0; i < part.length; i++) {
    const char = part[i];
    if (char === '\\' && i + 1 < part.length) pattern += part[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (char === '*') pattern += '.*';
    else if (char === '?') pattern += '.';
    else pattern += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`, 's');
}

function step(value: unknown, part: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  if (hasWildcard(part)) {
    const matcher = wildcardMatcher(part);
    const key = Object.keys(value).find((k) => matcher.test(k));
    return key === undefined ? undefined : (value as Record<string, unknown>)[key];
  }
  const key = unescape(part);
  if (Array.isArray(value)) {
    if (!/^\d+$/.test(key)) return undefined;
    return value[Number(key)];
  }
  return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function select(value: unknown, parts: string[], selector: string): unknown {
  let current = value;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === '#') {
      if (!Array.isArray(current)) return undefined;
      if (i === parts.length - 1) return current.length;
      const rest = parts.slice(i + 1);
      return current.map((item) => select(item, rest, selector)).filter((item) => item !== undefined);
    }
    current = step(current, part);
    if (current === undefined) return undefined;
  }
  return current;
}

/** The value at `selector` in `document`, or null when there is none (as k6 answers). */
export function selectJson(document: unknown, selector: string): unknown {
  if (selector.includes('|') || /(^|\.)@/.test(selector)) throw unsupported(selector, 'a GJSON modifier or pipe');
  if (/#[([]/.test(selector)) throw unsupported(selector, 'a GJSON query');
  if (selector === '') return document;
  const found = select(document, splitPath(selector), selector);
  return found === undefined ? null : found;
}
