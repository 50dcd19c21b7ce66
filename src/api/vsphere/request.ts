// Who is calling: the session named by the `vmware-api-session-id` header, or by the cookie of
// that name (specs/dialects.md §2.2, §5), and what their roles let them do.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Permissions } from '../../auth/permissions.js';
import { loadPermissions } from '../../auth/identify.js';
import { useSession, vsphereSessionLimits, type VsphereSession } from '../../actions/vsphere-sessions.js';
import { unauthenticated, VsphereError } from './errors.js';

export const SESSION_HEADER = 'vmware-api-session-id';

export interface SessionCaller {
  /** The session id as the client sent it. */
  id: string;
  session: VsphereSession;
  actor: Permissions;
}

declare module 'fastify' {
  interface FastifyRequest {
    vsphere?: SessionCaller;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The header wins over the cookie: a client that sends it means it. */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers[SESSION_HEADER];
  const id = (Array.isArray(header) ? header[0] : header) ?? cookieValue(request.headers.cookie, SESSION_HEADER);
  return id?.trim() || undefined;
}

/** The caller's live session (touched), or 401 unauthenticated. */
export async function requireSession(ctx: AppContext, request: FastifyRequest): Promise<SessionCaller> {
  if (request.vsphere) return request.vsphere;
  const id = sessionIdOf(request);
  if (!id) throw unauthenticated(`This operation needs a session: send its id in the ${SESSION_HEADER} header`);
  const session = await useSession(ctx.store.db, vsphereSessionLimits(ctx.config), id);
  const actor = session && (await loadPermissions(ctx.store.db, session.userGuid, session.scopes));
  if (!session || !actor) throw unauthenticated('The session is unknown or has expired; create a new one');
  request.vsphere = { id, session, actor };
  return request.vsphere;
}

/** The caller, held to the same scope gate as a CF token of theirs (read or write). */
export function callerFor(request: FastifyRequest, access: 'read' | 'write'): Permissions {
  const actor = request.vsphere?.actor;
  if (!actor) throw unauthenticated('This operation needs a session');
  if (access === 'read' ? !actor.mayRead() : !actor.mayWrite()) {
    throw new VsphereError('unauthorized', 'You are not authorized to perform this operation');
  }
  return actor;
}
