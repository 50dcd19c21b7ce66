// Reads of spaces, scoped to what the caller may see.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { Database, OrganizationRow, SpaceRow } from '../store/schema.js';
import { ORGANIZATION_COLUMNS, prefixed, rowOf, SPACE_COLUMNS } from '../store/owner-rows.js';
import { applyListFilters, fetchPage, type ListTable, type Page } from './list.js';
import { whereInReadableSpaces } from './scope.js';

const table: ListTable = {
  alias: 'spaces',
  resourceKind: 'space',
  filters: {
    guids: { column: 'spaces.guid' },
    names: { column: 'spaces.name', caseInsensitive: true },
    organization_guids: { column: 'organizations.guid' },
  },
};

export type SpaceWithOrg = SpaceRow & { organization_guid: string };

export function listSpaces(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<SpaceWithOrg>> {
  let qb = db
    .selectFrom('spaces')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .selectAll('spaces')
    .select('organizations.guid as organization_guid');
  qb = whereInReadableSpaces(qb, actor.readableSpaces(), 'spaces.id', 'spaces.organization_id');
  return fetchPage<SpaceWithOrg>(applyListFilters(qb, query, table), query, 'spaces');
}

export interface SpaceInOrg {
  space: SpaceRow;
  org: OrganizationRow;
}

/** The space and its organization if the caller may read the space; else 404 "Space not found". */
export async function getReadableSpace(db: Kysely<Database>, actor: Permissions, guid: string): Promise<SpaceInOrg> {
  const found = await findSpace(db, guid);
  if (!found || !actor.canReadSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw notFound('Space');
  return found;
}

/** The space with its organization, whoever may read it; one statement (owner-rows.ts). */
export async function findSpace(db: Kysely<Database>, guid: string): Promise<SpaceInOrg | undefined> {
  const row = await db
    .selectFrom('spaces')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .select(prefixed(SPACE_COLUMNS, ORGANIZATION_COLUMNS))
    .where('spaces.guid', '=', guid)
    .executeTakeFirst();
  return row && { space: rowOf(SPACE_COLUMNS, row), org: rowOf(ORGANIZATION_COLUMNS, row) };
}

/** Spaces by id with their organizations' guids, for `include=`, oldest first (as organizationsByIds). */
export async function spacesByIds(db: Kysely<Database>, ids: readonly number[]): Promise<SpaceWithOrg[]> {
  if (!ids.length) return [];
  return db
    .selectFrom('spaces')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .selectAll('spaces')
    .select('organizations.guid as organization_guid')
    .where('spaces.id', 'in', [...new Set(ids)])
    .orderBy('spaces.created_at')
    .orderBy('spaces.guid')
    .execute();
}
