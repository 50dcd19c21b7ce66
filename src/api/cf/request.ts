// Per-request helpers for CF routes: the caller, and the base of every link.
import type { FastifyRequest } from 'fastify';
import type { Permissions } from '../../auth/permissions.js';
import type { AppContext } from '../../context.js';
import { ApiError } from '../../core/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Permissions;
  }
  interface FastifyContextConfig {
    /** Reachable without a token. */
    public?: boolean;
  }
}

export function actorOf(request: FastifyRequest): Permissions {
  if (!request.actor) throw new ApiError('NotAuthenticated');
  return request.actor;
}

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** `TASKD_EXTERNAL_URL` when set, else the request's own scheme and host (spec §11). */
export function baseUrl(ctx: AppContext, request: FastifyRequest): string {
  if (ctx.config.externalUrl) return ctx.config.externalUrl;
  const host = HOST.test(request.host) ? request.host : `${ctx.config.host}:${ctx.config.port}`;
  return `${request.protocol}://${host}`;
}
