// The raw query string as ordered key/value pairs. vSphere's /rest encodings put meaning in key
// names (`filter_spec.status.2`) and in repeated keys, which a parsed query object loses.
import { invalidArgument } from '../errors.js';

export type QueryPairs = readonly (readonly [string, string])[];

export function queryPairs(url: string): QueryPairs {
  const at = url.indexOf('?');
  if (at < 0) return [];
  try {
    // URLSearchParams turns bad percent-escapes into U+FFFD rather than failing; decode once
    // ourselves to say so.
    decodeURIComponent(url.slice(at + 1).replace(/\+/g, ' '));
  } catch {
    throw invalidArgument('The query string is not valid percent-encoding');
  }
  const pairs = [...new URLSearchParams(url.slice(at + 1))];
  // PostgreSQL text cannot hold NUL; no name or id of taskd's contains one.
  if (pairs.some(([key, value]) => key.includes('\0') || value.includes('\0')))
    throw invalidArgument('The query string must not contain NUL characters');
  return pairs;
}

export function parseBoolean(key: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalidArgument(`${key} must be true or false, not '${value}'`);
}

/** Reads boolean parameters named in `names` (key -> its field), each at most once; other keys fail. */
export function parseBooleanParams<F extends string>(
  pairs: QueryPairs,
  names: Record<string, F>,
  expected: string,
): Partial<Record<F, boolean>> {
  const out: Partial<Record<F, boolean>> = {};
  for (const [key, value] of pairs) {
    const field = Object.hasOwn(names, key) ? names[key] : undefined;
    if (field === undefined) throw invalidArgument(`Unknown query parameter '${key}'; expected ${expected}`);
    if (out[field] !== undefined) throw invalidArgument(`${key} is given more than once`);
    out[field] = parseBoolean(key, value);
  }
  return out;
}
