// Who is calling (specs/dialects.md §5 Dbvisit): HTTP Basic with a taskd username and password on
// each request, as Dbvisit's own API is used, or `Bearer` with the access tokens of the CF API.
// A running task's own token is for the CF routes that report on it, not for this API.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { basicCredentials, identifyBasic, type BasicCredentials } from '../../auth/basic.js';
import { limitedLogin } from '../rate-limits.js';
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
  const actor = credentials
    ? await identifyBasicLimited(ctx, request.ip, credentials)
    : await identify(ctx.store.db, ctx.tokens, authorization);
  if (actor.ownTask) throw new ApiError('NotAuthorized');
  return actor;
}

/** Basic credentials are a login on every request: wrong ones count against the failed-login limit. */
async function identifyBasicLimited(ctx: AppContext, address: string, credentials: BasicCredentials): Promise<Permissions> {
  const actor = await limitedLogin(ctx, address, credentials.username, async () => {
    try {
      return await identifyBasic(ctx.store.db, credentials);
    } catch (err) {
      if (err instanceof ApiError && err.errorName === 'InvalidAuthToken') return undefined;
      throw err;
    }
  });
  if (!actor) throw new ApiError('InvalidAuthToken');
  return actor;
}

/** The authenticated caller, if their token scopes allow reading (or, for `writes`, changing) anything. */
export function dbvisitCallerOf(request: FastifyRequest, writes: boolean): Permissions {
  const actor = request.dbvisitActor;
  if (!actor) throw new ApiError('NotAuthenticated');
  if (writes ? !actor.mayWrite() : !actor.mayRead()) throw new ApiError('NotAuthorized');
  return actor;
}
