// Bearer token -> the caller's Permissions, loaded fresh (roles included) for each request.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { AccessClaims, TokenService } from './tokens.js';
import { nowIso } from '../core/time.js';
import { Permissions, type RoleGrant, type RoleType } from './permissions.js';
import { ApiError } from '../core/errors.js';
import { SCOPE_ADMIN, tokenScopes } from './scopes.js';

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
    if (task) return identifyTask(db, tokens, task.payload);
    throw new ApiError('InvalidAuthToken');
  }
  if (claims.clientId !== undefined) return identifyClient(tokens, claims.clientId, claims.scopes);
  const permissions = await honouredHolder(db, claims);
  if (!permissions) throw new ApiError('InvalidAuthToken');
  return permissions;
}

/**
 * Whom a bearer token speaks for, from its signature alone (answered from the verified-token
 * cache once seen): the user, or a task token's creator. Enough to count the request against its
 * user before the store is asked anything; identify() still decides whether it is honoured.
 */
export async function tokenCaller(
  tokens: TokenService,
  authorization: string | undefined,
): Promise<{ userGuid: string; unpaced: boolean } | undefined> {
  const token = bearerToken(authorization);
  if (!token) return undefined;
  const claims = (await tokens.verify(token, 'access')) ?? (await tokens.verify(token, 'task'));
  if (!claims?.userGuid) return undefined;
  // Operators are not paced (connection-limits.ts); a task acts for its creator, never as admin.
  return { userGuid: claims.userGuid, unpaced: claims.payload.token_use === 'access' && claims.scopes.includes(SCOPE_ADMIN) };
}

/**
 * The user a token was issued to, with their roles, if the token is still honoured: the user
 * exists, has the token's generation still (no password change or revocation since), and the
 * token's login is still live (not logged out, revoked, or ended by a reused refresh token). Read
 * from the store on every request, in the one query that loads the user and their roles anyway
 * (one round trip: every authenticated request asks it), so a revocation holds at once on every
 * node: the verified-token cache only spares checking the signature again.
 */
async function honouredHolder(
  db: Kysely<Database>,
  claims: Pick<AccessClaims, 'userGuid' | 'generation' | 'sessionId' | 'scopes'>,
): Promise<Permissions | undefined> {
  const { sessionId } = claims;
  let query = db
    .selectFrom('users')
    .leftJoin('roles', 'roles.user_id', 'users.id')
    .leftJoin('spaces', 'spaces.id', 'roles.space_id')
    .select(['users.id', 'users.guid', 'users.token_generation', ...ROLE_COLUMNS])
    .where('users.guid', '=', claims.userGuid);
  if (sessionId !== undefined)
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('token_sessions')
          .select('token_sessions.id')
          .where('token_sessions.id', '=', sessionId)
          .whereRef('token_sessions.user_guid', '=', 'users.guid')
          .where('token_sessions.expires_at', '>', nowIso()),
      ),
    );
  const rows = await query.execute();
  const user = rows[0];
  if (!user || user.token_generation !== (claims.generation ?? 0)) return undefined;
  // A user with no role is one row, its role columns null.
  return new Permissions(user.id, user.guid, claims.scopes, grantsOf(rows.filter((r) => r.type !== null)));
}

/**
 * A client's token (client_credentials) is honoured while the client is still configured, with
 * those of its scopes the client still holds: a client removed from TASKD_UAA_CLIENTS_FILE, or an
 * authority taken from it, counts from the next start, not from the token's expiry. It acts as
 * Cloud Controller treats a client: its authorities are its global roles (cloud_controller.admin
 * as admin, ...); its user guid is its id, and it holds no org or space role.
 */
function identifyClient(tokens: TokenService, clientId: string, scopes: readonly string[]): Permissions {
  const client = tokens.clients.find(clientId);
  if (!client) throw new ApiError('InvalidAuthToken');
  return new Permissions(
    NO_USER_ID,
    clientId,
    scopes.filter((s) => client.authorities.includes(s)),
    [],
  );
}

/** The user id of a caller that is no user (a client, a task whose creator is gone): no users row has it. */
const NO_USER_ID = 0;

/** States in which a task's process runs, so its token is honoured. */
export const TASK_TOKEN_STATES: readonly string[] = ['RUNNING', 'CANCELING', 'PAUSING', 'PAUSED'];

/**
 * A task token is good only while its task runs: checked against the row on every request, so
 * it stops working the moment the task ends, however long its signature would last. The task
 * acts as its creator with the creator's current roles and scopes (a creator since removed from
 * the space cannot create subtasks there); a task a client created acts as that client, while it
 * is still configured.
 */
async function identifyTask(db: Kysely<Database>, tokens: TokenService, payload: Record<string, unknown>): Promise<Permissions> {
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
  const client = scopes === undefined && task.created_by !== null ? tokens.clients.find(task.created_by) : undefined;
  if (client) return new Permissions(NO_USER_ID, client.clientId, client.authorities, [], ownTask);
  const creator = task.created_by === null || scopes === undefined ? undefined : await loadPermissions(db, task.created_by, scopes);
  return new Permissions(creator?.userId ?? NO_USER_ID, creator?.userGuid ?? '', creator ? scopes! : [], creator?.roles ?? [], ownTask);
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
  return user && permissionsOf(db, user, scopes);
}

async function permissionsOf(db: Kysely<Database>, user: { id: number; guid: string }, scopes: string[]): Promise<Permissions> {
  const rows = await db
    .selectFrom('roles')
    .leftJoin('spaces', 'spaces.id', 'roles.space_id')
    .select(ROLE_COLUMNS)
    .where('roles.user_id', '=', user.id)
    .execute();
  return new Permissions(user.id, user.guid, scopes, grantsOf(rows));
}

/** A role as read with its space (a space role's organization is its space's). */
const ROLE_COLUMNS = ['roles.type', 'roles.organization_id', 'roles.space_id', 'spaces.organization_id as space_org_id'] as const;

function grantsOf(
  rows: { type: string | null; organization_id: number | null; space_id: number | null; space_org_id: number | null }[],
): RoleGrant[] {
  return rows.map((r) => ({
    type: r.type as RoleType,
    organizationId: r.space_id !== null ? r.space_org_id : r.organization_id,
    spaceId: r.space_id,
  }));
}
