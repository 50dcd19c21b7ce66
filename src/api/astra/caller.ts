// Who is asking: Astra clients send `Authorization: Bearer <token>` with taskd's own access tokens
// (specs/dialects.md §5). No token is problem 3, a bad one problem 4. Like the CF API, reading needs
// a read scope; a running task's own token opens only its few CF routes, none here.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Permissions } from '../../auth/permissions.js';
import { identify } from '../../auth/identify.js';
import { AstraProblem } from './problems.js';

export async function callerOf(ctx: AppContext, request: FastifyRequest): Promise<Permissions> {
  const authorization = request.headers.authorization;
  if (!authorization) throw new AstraProblem(3);
  const actor = await identify(ctx.store.db, ctx.tokens, authorization);
  if (actor.ownTask || !actor.mayRead()) throw new AstraProblem(11);
  return actor;
}
