// Reads of packages, scoped to the spaces the caller may read.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { AppRow, Database, PackageRow } from '../store/schema.js';
import { APP_COLUMNS, ORGANIZATION_COLUMNS, PACKAGE_COLUMNS, prefixed, rowOf, SPACE_COLUMNS } from '../store/owner-rows.js';
import type { AppInSpace } from './apps.js';
import { applyListFilters, fetchPage, type ListTable, type Page } from './list.js';
import { whereInReadableSpaces } from './scope.js';

const table: ListTable = {
  alias: 'packages',
  resourceKind: 'package',
  filters: {
    guids: { column: 'packages.guid' },
    states: { column: 'packages.state' },
    types: { column: 'packages.type' },
    app_guids: { column: 'apps.guid' },
    space_guids: { column: 'spaces.guid' },
    organization_guids: { column: 'organizations.guid' },
  },
};

export type PackageWithRefs = PackageRow & { app_guid: string };

export interface PackageInApp extends AppInSpace {
  pkg: PackageRow;
}

function joined(db: Kysely<Database>) {
  return db
    .selectFrom('packages')
    .innerJoin('apps', 'apps.id', 'packages.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .selectAll('packages')
    .select('apps.guid as app_guid');
}

export function listPackages(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<PackageWithRefs>> {
  const qb = whereInReadableSpaces(joined(db), actor.readableSpaces(), 'apps.space_id', 'spaces.organization_id');
  return fetchPage<PackageWithRefs>(applyListFilters(qb, query, table), query, 'packages');
}

/** An app's packages; the caller has already checked that the app is readable. */
export function listAppPackages(db: Kysely<Database>, app: AppRow, query: ListQuery): Promise<Page<PackageWithRefs>> {
  return fetchPage<PackageWithRefs>(applyListFilters(joined(db).where('packages.app_id', '=', app.id), query, table), query, 'packages');
}

/** The package with its app, space and org if the caller may read it; else 404 "Package not found". */
export async function getReadablePackage(db: Kysely<Database>, actor: Permissions, guid: string): Promise<PackageInApp> {
  const found = await findPackage(db, guid);
  if (!found || !actor.canReadSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw notFound('Package');
  return found;
}

/** The package with its app, space and organization, whoever may read it; one statement. */
export async function findPackage(db: Kysely<Database>, guid: string): Promise<PackageInApp | undefined> {
  const row = await db
    .selectFrom('packages')
    .innerJoin('apps', 'apps.id', 'packages.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .select(prefixed(PACKAGE_COLUMNS, APP_COLUMNS, SPACE_COLUMNS, ORGANIZATION_COLUMNS))
    .where('packages.guid', '=', guid)
    .executeTakeFirst();
  return (
    row && {
      pkg: rowOf(PACKAGE_COLUMNS, row),
      app: rowOf(APP_COLUMNS, row),
      space: rowOf(SPACE_COLUMNS, row),
      org: rowOf(ORGANIZATION_COLUMNS, row),
    }
  );
}
