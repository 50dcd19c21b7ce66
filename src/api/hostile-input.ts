// Text no store can hold: PostgreSQL's text type refuses the NUL character outright (an error in
// the middle of a query, which would surface as a 500), while SQLite would store it — so the same
// request would behave differently on the two stores. It is refused here, once for every dialect,
// before any route runs: NUL in the path names a resource that cannot exist, in the query it is a
// bad query parameter, in a body the body cannot be taken. Each dialect renders the catalog
// error in its own envelope.
import type { FastifyInstance } from 'fastify';
import { ApiError, badQuery } from '../core/errors.js';

const hasNul = (text: string): boolean => text.includes('%00') || text.includes('\0');

/** Whether any string in a parsed body (keys included) holds NUL. */
function bodyHasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(bodyHasNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\0') || bodyHasNul(v));
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
