// Reads of apps, scoped to the spaces the caller may read.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized, notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { AppRow, Database, OrganizationRow, SpaceRow } from '../store/schema.js';
import { APP_COLUMNS, ORGANIZATION_COLUMNS, prefixed, rowOf, SPACE_COLUMNS } from '../store/owner-rows.js';
import { applyListFilters, fetchPage, type ListTable, type Page } from './list.js';
import { whereInReadableSpaces } from './scope.js';

const table: ListTable = {
  alias: 'apps',
  resourceKind: 'app',
  filters: {
    guids: { column: 'apps.guid' },
    names: { column: 'apps.name', caseInsensitive: true },
    space_guids: { column: 'spaces.guid' },
    organization_guids: { column: 'organizations.guid' },
    lifecycle_type: { column: 'apps.lifecycle_type' },
    stacks: { column: 'apps.stack' },
  },
};

/** An app row with the guids its presentation needs. */
export type AppWithRefs = AppRow & { space_guid: string; current_droplet_guid: string | null };

export interface AppInSpace {
  app: AppRow;
  space: SpaceRow;
  org: OrganizationRow;
}

export function listApps(db: Kysely<Database>, actor: Permissions, query: ListQuery, spaceId?: number): Promise<Page<AppWithRefs>> {
  let qb = db
    .selectFrom('apps')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .leftJoin('droplets', 'droplets.id', 'apps.current_droplet_id')
    .selectAll('apps')
    .select(['spaces.guid as space_guid', 'droplets.guid as current_droplet_guid']);
  qb = whereInReadableSpaces(qb, actor.readableSpaces(), 'apps.space_id', 'spaces.organization_id');
  if (spaceId !== undefined) qb = qb.where('apps.space_id', '=', spaceId);
  return fetchPage<AppWithRefs>(applyListFilters(qb, query, table), query, 'apps');
}

/** The app with its space and organization if the caller may read it; else 404 "App not found". */
export async function getReadableApp(db: Kysely<Database>, actor: Permissions, guid: string): Promise<AppInSpace> {
  const found = await findApp(db, guid);
  if (!found || !actor.canReadSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw notFound('App');
  return found;
}

/**
 * The app if the caller may read its environment variables (canReadAppEnvironment); 404 "App not
 * found" when it may not read the app, 403 when it reads the app but not its environment.
 */
export async function getAppWithReadableEnvironment(db: Kysely<Database>, actor: Permissions, guid: string): Promise<AppInSpace> {
  const found = await getReadableApp(db, actor, guid);
  if (!actor.canReadAppEnvironment({ spaceId: found.space.id, organizationId: found.org.id })) throw notAuthorized();
  return found;
}

/** The app with its space and organization, whoever may read it; one statement (owner-rows.ts). */
export async function findApp(db: Kysely<Database>, guid: string): Promise<AppInSpace | undefined> {
  return findAppWhere(db, 'apps.guid', guid);
}

/** By the app's guid or id: the app, its space and its organization, in one statement. */
export async function findAppWhere(db: Kysely<Database>, column: 'apps.guid' | 'apps.id', value: string | number) {
  const row = await db
    .selectFrom('apps')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .select(prefixed(APP_COLUMNS, SPACE_COLUMNS, ORGANIZATION_COLUMNS))
    .where(column, '=', value)
    .executeTakeFirst();
  return row && { app: rowOf(APP_COLUMNS, row), space: rowOf(SPACE_COLUMNS, row), org: rowOf(ORGANIZATION_COLUMNS, row) };
}

/** The guid of an app's current droplet, if it has one. */
export async function currentDropletGuid(db: Kysely<Database>, app: AppRow): Promise<string | null> {
  if (app.current_droplet_id === null) return null;
  const row = await db.selectFrom('droplets').select('guid').where('id', '=', app.current_droplet_id).executeTakeFirst();
  return row?.guid ?? null;
}
