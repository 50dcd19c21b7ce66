// Who is calling (specs/dialects.md §5 Dbvisit): HTTP Basic with a taskd username and password on
// each request, as Dbvisit's own API is used, or `Bearer` with the access tokens of the CF API.
// A running task's own token is for the CF routes that report on it, not for this API.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { basicCredentials, identifyBasic } from '../../auth/basic.js';
import { identify } from '../../auth/identify.js';
import type { Permissions } from '../../auth/permissions.js';
import { ApiError } from '../../core/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the Dbvisit plugin's authentication hook. */
    dbvisitActor?: Permissions;
  }
}

export async function identifyDbvisitCaller(ctx: AppContext, request: FastifyRequest): Promise<Permissions> {
  const { authorization } = request.headers;
  const credentials = basicCredentials(authorization);
  const actor = credentials ? await identifyBasic(ctx.store.db, credentials) : await identify(ctx.store.db, ctx.tokens, authorization);
  if (actor.ownTask) throw new ApiError('NotAuthorized');
  return actor;
}

/** The authenticated caller, if their token scopes allow reading (or, for `writes`, changing) anything. */
export function dbvisitCallerOf(request: FastifyRequest, writes: boolean): Permissions {
  const actor = request.dbvisitActor;
  if (!actor) throw new ApiError('NotAuthenticated');
  if (writes ? !actor.mayWrite() : !actor.mayRead()) throw new ApiError('NotAuthorized');
  return actor;
}
