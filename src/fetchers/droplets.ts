// Reads of droplets, scoped to the spaces the caller may read.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { badQuery, notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { AppRow, Database, DropletRow, OrganizationRow, SpaceRow } from '../store/schema.js';
import { APP_COLUMNS, DROPLET_COLUMNS, ORGANIZATION_COLUMNS, prefixed, rowOf, SPACE_COLUMNS } from '../store/owner-rows.js';
import { applyListFilters, fetchPage, type ListTable, type Page } from './list.js';
import { whereInReadableSpaces } from './scope.js';

const table: ListTable = {
  alias: 'droplets',
  resourceKind: 'droplet',
  filters: {
    guids: { column: 'droplets.guid' },
    states: { column: 'droplets.state' },
    app_guids: { column: 'apps.guid' },
    space_guids: { column: 'spaces.guid' },
    organization_guids: { column: 'organizations.guid' },
  },
};

/** A droplet row with what its presentation and permission checks need. */
export type DropletWithRefs = DropletRow & { app_guid: string; space_id: number; organization_id: number };

export interface DropletInApp {
  droplet: DropletRow;
  app: AppRow;
  space: SpaceRow;
  org: OrganizationRow;
}

function joined(db: Kysely<Database>) {
  return db
    .selectFrom('droplets')
    .innerJoin('apps', 'apps.id', 'droplets.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .selectAll('droplets')
    .select(['apps.guid as app_guid', 'apps.space_id as space_id', 'spaces.organization_id as organization_id']);
}

export function listDroplets(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<DropletWithRefs>> {
  const qb = whereInReadableSpaces(joined(db), actor.readableSpaces(), 'apps.space_id', 'spaces.organization_id');
  return fetchPage<DropletWithRefs>(applyListFilters(qb, query, table), query, 'droplets');
}

/** An app's droplets; the caller has already checked that the app is readable. */
export function listAppDroplets(db: Kysely<Database>, app: AppRow, query: ListQuery): Promise<Page<DropletWithRefs>> {
  const current = query.lists.current;
  if (current && (current.length !== 1 || current[0] !== 'true')) throw badQuery("Current only accepts the value 'true'");
  let qb = joined(db).where('droplets.app_id', '=', app.id);
  if (current) qb = qb.where('droplets.id', '=', app.current_droplet_id ?? -1);
  return fetchPage<DropletWithRefs>(applyListFilters(qb, query, table), query, 'droplets');
}

/** The droplet with its app, space and org if the caller may read it; else 404 "Droplet not found". */
export async function getReadableDroplet(db: Kysely<Database>, actor: Permissions, guid: string): Promise<DropletInApp> {
  const found = await findDroplet(db, guid);
  if (!found || !actor.canReadSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw notFound('Droplet');
  return found;
}

/** The droplet with its app, space and organization, whoever may read it; one statement (owner-rows.ts). */
export async function findDroplet(db: Kysely<Database>, guid: string): Promise<DropletInApp | undefined> {
  const row = await db
    .selectFrom('droplets')
    .innerJoin('apps', 'apps.id', 'droplets.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .select(prefixed(DROPLET_COLUMNS, APP_COLUMNS, SPACE_COLUMNS, ORGANIZATION_COLUMNS))
    .where('droplets.guid', '=', guid)
    .executeTakeFirst();
  return (
    row && {
      droplet: rowOf(DROPLET_COLUMNS, row),
      app: rowOf(APP_COLUMNS, row),
      space: rowOf(SPACE_COLUMNS, row),
      org: rowOf(ORGANIZATION_COLUMNS, row),
    }
  );
}

/** An app's current droplet, or 404 "Droplet not found" when it has none. */
export async function getCurrentDroplet(db: Kysely<Database>, app: AppRow): Promise<DropletRow> {
  const droplet =
    app.current_droplet_id === null
      ? undefined
      : await db.selectFrom('droplets').selectAll().where('id', '=', app.current_droplet_id).executeTakeFirst();
  if (!droplet) throw notFound('Droplet');
  return droplet;
}
