// Bearer token -> the caller's Permissions, loaded fresh (roles included) for each request.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { TokenService } from './tokens.js';
import { Permissions, type RoleGrant, type RoleType } from './permissions.js';
import { ApiError } from '../core/errors.js';

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** Resolves a token, or throws NotAuthenticated (none) / InvalidAuthToken (bad, expired, unknown user). */
export async function identify(db: Kysely<Database>, tokens: TokenService, authorization: string | undefined): Promise<Permissions> {
  if (!authorization) throw new ApiError('NotAuthenticated');
  const token = bearerToken(authorization);
  const claims = token ? await tokens.verify(token, 'access') : undefined;
  if (!claims) throw new ApiError('InvalidAuthToken');
  const permissions = await loadPermissions(db, claims.userGuid, claims.scopes);
  if (!permissions) throw new ApiError('InvalidAuthToken');
  return permissions;
}

export async function loadPermissions(db: Kysely<Database>, userGuid: string, scopes: string[]): Promise<Permissions | undefined> {
  const user = await db.selectFrom('users').select(['id', 'guid']).where('guid', '=', userGuid).executeTakeFirst();
  if (!user) return undefined;
  const rows = await db
    .selectFrom('roles')
    .leftJoin('spaces', 'spaces.id', 'roles.space_id')
    .select(['roles.type', 'roles.organization_id', 'roles.space_id', 'spaces.organization_id as space_org_id'])
    .where('roles.user_id', '=', user.id)
    .execute();
  const grants: RoleGrant[] = rows.map((r) => ({
    type: r.type as RoleType,
    organizationId: r.space_id !== null ? r.space_org_id : r.organization_id,
    spaceId: r.space_id,
  }));
  return new Permissions(user.id, user.guid, scopes, grants);
}
