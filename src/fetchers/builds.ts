// Reads of builds, scoped to the spaces the caller may read.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { AppRow, Database, BuildRow } from '../store/schema.js';
import { APP_COLUMNS, ORGANIZATION_COLUMNS, BUILD_COLUMNS, prefixed, rowOf, SPACE_COLUMNS } from '../store/owner-rows.js';
import type { AppInSpace } from './apps.js';
import { applyListFilters, fetchPage, type ListTable, type Page } from './list.js';
import { whereInReadableSpaces } from './scope.js';

const table: ListTable = {
  alias: 'builds',
  resourceKind: 'build',
  filters: {
    guids: { column: 'builds.guid' },
    states: { column: 'builds.state' },
    package_guids: { column: 'builds.package_guid' },
    app_guids: { column: 'apps.guid' },
    space_guids: { column: 'spaces.guid' },
    organization_guids: { column: 'organizations.guid' },
  },
};

export type BuildWithRefs = BuildRow & { app_guid: string };

export interface BuildInApp extends AppInSpace {
  build: BuildRow;
}

function joined(db: Kysely<Database>) {
  return db
    .selectFrom('builds')
    .innerJoin('apps', 'apps.id', 'builds.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .selectAll('builds')
    .select('apps.guid as app_guid');
}

export function listBuilds(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<BuildWithRefs>> {
  const qb = whereInReadableSpaces(joined(db), actor.readableSpaces(), 'apps.space_id', 'spaces.organization_id');
  return fetchPage<BuildWithRefs>(applyListFilters(qb, query, table), query, 'builds');
}

/** An app's builds; the caller has already checked that the app is readable. */
export function listAppBuilds(db: Kysely<Database>, app: AppRow, query: ListQuery): Promise<Page<BuildWithRefs>> {
  return fetchPage<BuildWithRefs>(applyListFilters(joined(db).where('builds.app_id', '=', app.id), query, table), query, 'builds');
}

/** The build with its app, space and org if the caller may read it; else 404 "Build not found". */
export async function getReadableBuild(db: Kysely<Database>, actor: Permissions, guid: string): Promise<BuildInApp> {
  const found = await findBuild(db, guid);
  if (!found || !actor.canReadSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw notFound('Build');
  return found;
}

/** The build with its app, space and organization, whoever may read it; one statement. */
export async function findBuild(db: Kysely<Database>, guid: string): Promise<BuildInApp | undefined> {
  const row = await db
    .selectFrom('builds')
    .innerJoin('apps', 'apps.id', 'builds.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .select(prefixed(BUILD_COLUMNS, APP_COLUMNS, SPACE_COLUMNS, ORGANIZATION_COLUMNS))
    .where('builds.guid', '=', guid)
    .executeTakeFirst();
  return (
    row && {
      build: rowOf(BUILD_COLUMNS, row),
      app: rowOf(APP_COLUMNS, row),
      space: rowOf(SPACE_COLUMNS, row),
      org: rowOf(ORGANIZATION_COLUMNS, row),
    }
  );
}
