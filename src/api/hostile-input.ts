// Text no store can hold: PostgreSQL's text type refuses the NUL character outright (an error in
// the middle of a query, which would surface as a 500), while SQLite would store it — so the same
// request would behave differently on the two stores. It is refused here, once for every dialect,
// before any route runs: NUL in the path names a resource that cannot exist, in the query it is a
// bad query parameter, in a body the body cannot be taken. Each dialect renders the catalog
// error in its own envelope.
import type { FastifyInstance } from 'fastify';
import { ApiError, badQuery } from '../core/errors.js';

const hasNul = (text: string): boolean => text.includes('%00') || text.includes('\0');

/**
 * Whether any string in a parsed body (keys included) holds NUL. Walked with a stack of its own,
 * not by recursion: JSON.parse takes a body nested 100,000 deep, which would overflow the call
 * stack here (a 500) before any dialect saw the body.
 */
function bodyHasNul(body: unknown): boolean {
  const pending: unknown[] = [body];
  while (pending.length) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.includes('\0')) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k.includes('\0')) return true;
        pending.push(v);
      }
    }
  }
  return false;
}

export function refuseNulCharacters(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const query = request.url.indexOf('?');
    if (hasNul(query < 0 ? request.url : request.url.slice(0, query))) throw new ApiError('NotFound');
    if (query >= 0 && hasNul(request.url.slice(query))) throw badQuery('parameters must not contain the NUL character');
  });
  app.addHook('preValidation', async (request) => {
    if (bodyHasNul(request.body)) throw new ApiError('MessageParseError', 'the body must not contain the NUL character');
  });
}
