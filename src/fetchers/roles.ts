// Reads of roles. Global readers see every role; others see the roles in spaces they can read
// and in organizations they can see (CF's readable_roles).
import { sql, type Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { Database, OrganizationRow, RoleRow, UserRow } from '../store/schema.js';
import { applyListFilters, fetchPage, type ListTable, type Page } from './list.js';
import { spacesByIds, type SpaceWithOrg } from './spaces.js';
import { organizationsByIds } from './organizations.js';

export const ROLE_INCLUDES = ['user', 'organization', 'space'] as const;
export type RoleInclude = (typeof ROLE_INCLUDES)[number];

const table: ListTable = {
  alias: 'roles',
  resourceKind: 'role',
  filters: {
    guids: { column: 'roles.guid' },
    types: { column: 'roles.type' },
    user_guids: { column: 'users.guid' },
    space_guids: { column: 'spaces.guid' },
    // Space roles belong to no organization of their own (CF: organization_id -1), so this
    // filter matches organization roles only, as in CF.
    organization_guids: { column: 'organizations.guid' },
  },
};

/** A role with the guids it points at and the organization it lives in (its own, or its space's). */
export type RoleView = RoleRow & {
  user_guid: string;
  space_guid: string | null;
  organization_guid: string | null;
  space_organization_id: number | null;
};

function readable(db: Kysely<Database>, actor: Permissions) {
  const qb = db
    .selectFrom('roles')
    .innerJoin('users', 'users.id', 'roles.user_id')
    .leftJoin('spaces', 'spaces.id', 'roles.space_id')
    .leftJoin('organizations', 'organizations.id', 'roles.organization_id')
    .selectAll('roles')
    .select([
      'users.guid as user_guid',
      'spaces.guid as space_guid',
      'organizations.guid as organization_guid',
      'spaces.organization_id as space_organization_id',
    ]);
  const spaces = actor.readableSpaces();
  const orgs = actor.readableOrgs();
  if (spaces.all || orgs.all) return qb;
  const spaceIds = spaces.spaceIds;
  const managedOrgIds = spaces.organizationIds;
  const orgIds = orgs.organizationIds;
  if (!spaceIds.length && !managedOrgIds.length && !orgIds.length) return qb.where(sql<boolean>`1 = 0`);
  return qb.where((eb) =>
    eb.or([
      ...(spaceIds.length ? [eb('roles.space_id', 'in', spaceIds)] : []),
      ...(managedOrgIds.length ? [eb('spaces.organization_id', 'in', managedOrgIds)] : []),
      ...(orgIds.length ? [eb('roles.organization_id', 'in', orgIds)] : []),
    ]),
  );
}

export function listRoles(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<RoleView>> {
  return fetchPage<RoleView>(applyListFilters(readable(db, actor), query, table), query, 'roles');
}

/** The role if the caller may see it; else 404 "Role not found". */
export async function getReadableRole(db: Kysely<Database>, actor: Permissions, guid: string): Promise<RoleView> {
  const role = await readable(db, actor).where('roles.guid', '=', guid).executeTakeFirst();
  if (!role) throw notFound('Role');
  return role;
}

/** A role by id with its guids, for presenting one just written. */
export async function getRoleView(db: Kysely<Database>, id: number): Promise<RoleView> {
  return db
    .selectFrom('roles')
    .innerJoin('users', 'users.id', 'roles.user_id')
    .leftJoin('spaces', 'spaces.id', 'roles.space_id')
    .leftJoin('organizations', 'organizations.id', 'roles.organization_id')
    .selectAll('roles')
    .select([
      'users.guid as user_guid',
      'spaces.guid as space_guid',
      'organizations.guid as organization_guid',
      'spaces.organization_id as space_organization_id',
    ])
    .where('roles.id', '=', id)
    .executeTakeFirstOrThrow();
}

export interface RoleIncluded {
  users?: UserRow[];
  organizations?: OrganizationRow[];
  spaces?: SpaceWithOrg[];
}

/** The users, organizations and spaces a page of roles points at, for `include=`. */
export async function loadRoleIncluded(db: Kysely<Database>, roles: RoleRow[], include: readonly RoleInclude[]): Promise<RoleIncluded> {
  const ids = (pick: (r: RoleRow) => number | null) => [...new Set(roles.map(pick).filter((id): id is number => id !== null))];
  const out: RoleIncluded = {};
  for (const kind of ROLE_INCLUDES.filter((k) => include.includes(k))) {
    if (kind === 'user') {
      const userIds = ids((r) => r.user_id);
      out.users = userIds.length ? await db.selectFrom('users').selectAll().where('id', 'in', userIds).orderBy('id').execute() : [];
    } else if (kind === 'organization') {
      out.organizations = await organizationsByIds(
        db,
        ids((r) => r.organization_id),
      );
    } else {
      out.spaces = await spacesByIds(
        db,
        ids((r) => r.space_id),
      );
    }
  }
  return out;
}
