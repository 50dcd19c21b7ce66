// Bearer token -> the caller's Permissions, loaded fresh (roles included) for each request.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { TokenService } from './tokens.js';
import { Permissions, type RoleGrant, type RoleType } from './permissions.js';
import { ApiError } from '../core/errors.js';
import { tokenScopes } from './scopes.js';

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** Resolves a token, or throws NotAuthenticated (none) / InvalidAuthToken (bad, expired, unknown user). */
export async function identify(db: Kysely<Database>, tokens: TokenService, authorization: string | undefined): Promise<Permissions> {
  if (!authorization) throw new ApiError('NotAuthenticated');
  const token = bearerToken(authorization);
  const claims = token ? await tokens.verify(token, 'access') : undefined;
  if (!claims) {
    // The second verify is answered from the verified-token cache.
    const task = token ? await tokens.verify(token, 'task') : undefined;
    if (task) return identifyTask(db, task.payload);
    throw new ApiError('InvalidAuthToken');
  }
  const permissions = await loadPermissions(db, claims.userGuid, claims.scopes);
  if (!permissions) throw new ApiError('InvalidAuthToken');
  return permissions;
}

/** States in which a task's process runs, so its token is honoured. */
export const TASK_TOKEN_STATES: readonly string[] = ['RUNNING', 'CANCELING', 'PAUSING', 'PAUSED'];

/**
 * A task token is good only while its task runs: checked against the row on every request, so
 * it stops working the moment the task ends, however long its signature would last. The task
 * acts as its creator with the creator's current roles and scopes (a creator since removed from
 * the space cannot create subtasks there).
 */
async function identifyTask(db: Kysely<Database>, payload: Record<string, unknown>): Promise<Permissions> {
  const { task_guid: guid, app_guid: appGuid } = payload;
  if (typeof guid !== 'string' || typeof appGuid !== 'string') throw new ApiError('InvalidAuthToken');
  const task = await db
    .selectFrom('tasks')
    .innerJoin('apps', 'apps.id', 'tasks.app_id')
    .select(['tasks.id', 'tasks.state', 'tasks.created_by', 'apps.guid as app_guid'])
    .where('tasks.guid', '=', guid)
    .executeTakeFirst();
  if (!task || task.app_guid !== appGuid || !TASK_TOKEN_STATES.includes(task.state)) throw new ApiError('InvalidAuthToken');
  const ownTask = { id: task.id, guid, appGuid, state: task.state };
  const scopes = await userScopes(db, task.created_by);
  const creator = task.created_by === null || scopes === undefined ? undefined : await loadPermissions(db, task.created_by, scopes);
  return new Permissions(creator?.userId ?? 0, creator?.userGuid ?? '', creator ? scopes! : [], creator?.roles ?? [], ownTask);
}

/** The scopes a token of this user would carry now. */
async function userScopes(db: Kysely<Database>, userGuid: string | null): Promise<string[] | undefined> {
  if (userGuid === null) return undefined;
  const user = await db.selectFrom('users').select('scopes').where('guid', '=', userGuid).executeTakeFirst();
  if (!user) return undefined;
  return tokenScopes(user.scopes.split(' ').filter(Boolean));
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
