// Reads of organizations, scoped to what the caller may see.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { Database, OrganizationRow } from '../store/schema.js';
import { applyListFilters, fetchPage, type ListTable, type Page } from './list.js';
import { whereInReadableOrgs } from './scope.js';

const table: ListTable = {
  alias: 'organizations',
  resourceKind: 'organization',
  filters: { guids: { column: 'organizations.guid' }, names: { column: 'organizations.name', caseInsensitive: true } },
};

export function listOrganizations(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<OrganizationRow>> {
  let qb = db.selectFrom('organizations').selectAll('organizations');
  qb = whereInReadableOrgs(qb, actor.readableOrgs(), 'organizations.id');
  return fetchPage<OrganizationRow>(applyListFilters(qb, query, table), query, 'organizations');
}

/** The organization if it exists and the caller may see it; else 404 "Organization not found". */
export async function getReadableOrganization(db: Kysely<Database>, actor: Permissions, guid: string): Promise<OrganizationRow> {
  const org = await db.selectFrom('organizations').selectAll().where('guid', '=', guid).executeTakeFirst();
  if (!org || !actor.canReadOrg(org.id)) throw notFound('Organization');
  return org;
}

/**
 * Organizations by id, for `include=` (the rows a page of resources points at, which its reader
 * may see through them), in Cloud Controller's order for included resources: oldest first.
 */
export async function organizationsByIds(db: Kysely<Database>, ids: readonly number[]): Promise<OrganizationRow[]> {
  if (!ids.length) return [];
  return db
    .selectFrom('organizations')
    .selectAll()
    .where('id', 'in', [...new Set(ids)])
    .orderBy('created_at')
    .orderBy('guid')
    .execute();
}
