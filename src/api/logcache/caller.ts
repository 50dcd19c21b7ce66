// Who is calling log cache: the CF bearer token of the /v3 API, verified as the CF dialect verifies
// it. A running task's own token is for the CF routes that report on it, not for reading logs.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { identify } from '../../auth/identify.js';
import type { Permissions } from '../../auth/permissions.js';
import { ApiError } from '../../core/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the log cache plugin's authentication hook. */
    logCacheActor?: Permissions;
  }
}

/** The caller, or 401 (no token, a bad one); a token that may read nothing reads no source (404). */
export async function identifyLogCacheCaller(ctx: AppContext, request: FastifyRequest): Promise<Permissions> {
  const actor = await identify(ctx.store.db, ctx.tokens, request.headers.authorization);
  if (actor.ownTask || !actor.mayRead()) throw new ApiError('NotAuthorized');
  return actor;
}

export function logCacheActorOf(request: FastifyRequest): Permissions {
  if (!request.logCacheActor) throw new ApiError('NotAuthenticated');
  return request.logCacheActor;
}
