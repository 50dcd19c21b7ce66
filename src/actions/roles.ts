// Granting and revoking roles. Organization roles are granted by admins and the org's managers;
// space roles also by the space's managers. A space role needs the user to be an
// organization_user of the space's organization, and that role cannot be revoked while the
// user still holds roles in the organization's spaces: both sides lock the organization_user
// row first, so a concurrent grant and revoke cannot both succeed.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Permissions, RoleType } from '../auth/permissions.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import type { Database, OrganizationRow, UserRow } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { findVisibleUser } from '../fetchers/users.js';
import { getRoleView, type RoleView } from '../fetchers/roles.js';
import { assertFeatureEnabled } from '../fetchers/feature-flags.js';
import { assertWritable } from './writable.js';

/** The user a role is for: by guid, or by username (and origin) since taskd is its own UAA. */
export type RoleUser = { guid: string } | { username: string; origin?: string };

/** A role to grant: its type, its user, and the space or organization it holds in. */
export interface RoleInput {
  type: RoleType;
  user: RoleUser;
  target: { kind: 'space' | 'organization'; guid: string };
}

const INVALID_SPACE = 'Invalid space. Ensure that the space exists and you have access to it.';
const INVALID_ORG = 'Invalid organization. Ensure the organization exists and you have access to it.';
const INVALID_USER = 'Invalid user. Ensure that the user exists and you have access to it.';
const NOT_IN_ORG = "Users cannot be assigned roles in a space if they do not have a role in that space's organization.";
const ORG_USER_IN_USE = 'Cannot delete organization_user role while user has roles in spaces in that organization.';

const presentationName = (user: UserRow) => user.username ?? user.guid;

export async function createRole(db: Kysely<Database>, actor: Permissions, input: RoleInput): Promise<RoleView> {
  return input.target.kind === 'space' ? createSpaceRole(db, actor, input) : createOrganizationRole(db, actor, input);
}

async function createSpaceRole(db: Kysely<Database>, actor: Permissions, input: RoleInput): Promise<RoleView> {
  const space = await db.selectFrom('spaces').selectAll().where('guid', '=', input.target.guid).executeTakeFirst();
  const where = space && { spaceId: space.id, organizationId: space.organization_id };
  if (!space || !where || !actor.canReadSpace(where)) throw unprocessable(INVALID_SPACE);
  if (!actor.canManageSpaceRoles(where)) throw notAuthorized();
  const org = await db.selectFrom('organizations').selectAll().where('id', '=', space.organization_id).executeTakeFirstOrThrow();
  assertWritable(actor, org, space);

  const found = await findUser(db, actor, input.user);
  const user = found && (await findVisibleUser(db, actor, found.guid));
  if (!user) throw unprocessable(INVALID_USER);

  try {
    const id = await db.transaction().execute(async (trx) => {
      if (!(await lockOrganizationUser(trx, user.id, org.id))) throw unprocessable(NOT_IN_ORG);
      return insertRole(trx, input, user.id, { organization_id: null, space_id: space.id });
    });
    return await getRoleView(db, id);
  } catch (err) {
    if (isUniqueViolation(err))
      throw unprocessable(`User '${presentationName(user)}' already has '${input.type}' role in space '${space.name}'.`);
    throw err;
  }
}

async function createOrganizationRole(db: Kysely<Database>, actor: Permissions, input: RoleInput): Promise<RoleView> {
  const org = await db.selectFrom('organizations').selectAll().where('guid', '=', input.target.guid).executeTakeFirst();
  if (!org || !actor.canReadOrg(org.id)) throw unprocessable(INVALID_ORG);
  if (!actor.canWriteOrg(org.id)) throw notAuthorized();
  assertWritable(actor, org);

  // As in CF, an organization role for a user guid the store has never seen makes that user
  // (an identity without a username or password, like a UAA user CF has not met yet).
  const user = (await findUser(db, actor, input.user)) ?? (await ensureUser(db, (input.user as { guid: string }).guid));
  try {
    const id = await insertRole(db, input, user.id, { organization_id: org.id, space_id: null });
    return await getRoleView(db, id);
  } catch (err) {
    if (isUniqueViolation(err))
      throw unprocessable(`User '${presentationName(user)}' already has '${input.type}' role in organization '${org.name}'.`);
    throw err;
  }
}

async function insertRole(
  db: Kysely<Database> | Transaction<Database>,
  input: RoleInput,
  userId: number,
  place: { organization_id: number | null; space_id: number | null },
) {
  const now = nowIso();
  const row = await db
    .insertInto('roles')
    .values({ guid: newGuid(), type: input.type, user_id: userId, ...place, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * The user a role names: by guid, or by username (and origin) since taskd is its own UAA.
 * Undefined for an unknown guid; an unknown username is an error naming it, as CF's.
 */
async function findUser(db: Kysely<Database>, actor: Permissions, ref: RoleUser): Promise<UserRow | undefined> {
  if ('guid' in ref) return db.selectFrom('users').selectAll().where('guid', '=', ref.guid).executeTakeFirst();
  // Naming users by username is behind a feature flag, which admins bypass.
  await assertFeatureEnabled(db, actor, 'set_roles_by_username');
  let qb = db.selectFrom('users').selectAll().where('username', '=', ref.username);
  if (ref.origin !== undefined) qb = qb.where('origin', '=', ref.origin);
  const user = await qb.executeTakeFirst();
  if (user) return user;
  throw unprocessable(
    ref.origin !== undefined
      ? `No user exists with the username '${ref.username}' and origin '${ref.origin}'.`
      : `No user exists with the username '${ref.username}'.`,
  );
}

async function ensureUser(db: Kysely<Database>, guid: string): Promise<UserRow> {
  const now = nowIso();
  await db
    .insertInto('users')
    .values({ guid, username: null, origin: null, password_hash: null, scopes: '', created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('guid').doNothing())
    .execute();
  return db.selectFrom('users').selectAll().where('guid', '=', guid).executeTakeFirstOrThrow();
}

/** Takes a row lock on the user's organization_user role in the org; false when there is none. */
async function lockOrganizationUser(trx: Transaction<Database>, userId: number, organizationId: number): Promise<boolean> {
  const locked = await trx
    .updateTable('roles')
    .set({ updated_at: sql.ref('updated_at') })
    .where('user_id', '=', userId)
    .where('organization_id', '=', organizationId)
    .where('type', '=', 'organization_user')
    .returning('id')
    .execute();
  return locked.length > 0;
}

export async function deleteRole(db: Kysely<Database>, actor: Permissions, role: RoleView): Promise<void> {
  if (role.space_id !== null) {
    const space = await db.selectFrom('spaces').selectAll().where('id', '=', role.space_id).executeTakeFirstOrThrow();
    const org = await orgById(db, space.organization_id);
    if (!actor.canManageSpaceRoles({ spaceId: space.id, organizationId: org.id })) throw notAuthorized();
    assertWritable(actor, org, space);
    await db.deleteFrom('roles').where('id', '=', role.id).execute();
    return;
  }
  const org = await orgById(db, role.organization_id!);
  if (!actor.canWriteOrg(org.id)) throw notAuthorized();
  assertWritable(actor, org);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('roles').where('id', '=', role.id).execute();
    if (role.type !== 'organization_user') return;
    if (await hasSpaceRolesInOrg(trx, role.user_id, org.id)) throw unprocessable(ORG_USER_IN_USE);
  });
}

async function hasSpaceRolesInOrg(trx: Transaction<Database>, userId: number, organizationId: number): Promise<boolean> {
  const row = await trx
    .selectFrom('roles')
    .innerJoin('spaces', 'spaces.id', 'roles.space_id')
    .select('roles.id')
    .where('roles.user_id', '=', userId)
    .where('spaces.organization_id', '=', organizationId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

const orgById = (db: Kysely<Database>, id: number): Promise<OrganizationRow> =>
  db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
