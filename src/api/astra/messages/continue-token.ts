// The `continue` token: an opaque keyset cursor (base64, as Astra's schema has it) holding where
// the previous page ended and a fingerprint of the query that produced it, so that a token is
// honoured only on the same query it came from.
import { createHash } from 'node:crypto';
import type { TaskQueryValue } from '../../../core/task-query.js';
import { invalidQuery } from '../problems.js';

interface TokenBody {
  /** Fingerprint of the query the token belongs to. */
  q: string;
  /** TaskQuery `after`: the last row's sort values, then its id. */
  a: TaskQueryValue[];
}

/** What binds a token to its query: the account and the filters, not the page size or projection. */
export function queryFingerprint(accountId: string, filters: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([accountId, filters]))
    .digest('base64url')
    .slice(0, 16);
}

export function encodeContinue(fingerprint: string, after: readonly TaskQueryValue[]): string {
  const body: TokenBody = { q: fingerprint, a: [...after] };
  return Buffer.from(JSON.stringify(body)).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const isValue = (v: unknown): v is TaskQueryValue => v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/**
 * The `after` a token carries, checked against the query and the sort it must fit (`shape`: the
 * type of each sort value, then the id). Anything else is problem 5.
 */
export function decodeContinue(token: string, fingerprint: string, shape: readonly ('string' | 'number')[]): TaskQueryValue[] {
  // A `+` sent unencoded in a query string arrives as a space.
  const text = token.replace(/ /g, '+');
  const invalid = () => invalidQuery('continue', 'is not a token this query returned');
  if (!BASE64.test(text)) throw invalid();
  let body: Partial<TokenBody>;
  try {
    body = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof body !== 'object' || body === null || body.q !== fingerprint || !Array.isArray(body.a) || body.a.length !== shape.length)
    throw invalid();
  const after = body.a;
  if (!after.every((v, i) => isValue(v) && typeof v === shape[i])) throw invalid();
  return after;
}
