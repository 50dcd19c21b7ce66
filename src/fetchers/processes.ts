// Reads of processes, scoped to the spaces the caller may read. A process made from a droplet
// stores no command of its own: as in CF, its command is detected from the app's current
// droplet (`process_types[type]`) until one is set explicitly.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { AppRow, Database, ProcessRow } from '../store/schema.js';
import { getReadableApp } from './apps.js';
import { applyListFilters, fetchPage, type ListTable, type Page } from './list.js';
import { whereInReadableSpaces } from './scope.js';

const table: ListTable = {
  alias: 'processes',
  resourceKind: 'process',
  filters: {
    guids: { column: 'processes.guid' },
    types: { column: 'processes.type' },
    app_guids: { column: 'apps.guid' },
    space_guids: { column: 'spaces.guid' },
    organization_guids: { column: 'organizations.guid' },
  },
};

/** A process with its app's and space's guids and its current droplet's process types (JSON). */
export type ProcessWithRefs = ProcessRow & {
  app_guid: string;
  space_guid: string;
  space_id: number;
  organization_id: number;
  droplet_process_types: string | null;
};

function joined(db: Kysely<Database>) {
  return db
    .selectFrom('processes')
    .innerJoin('apps', 'apps.id', 'processes.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .leftJoin('droplets', 'droplets.id', 'apps.current_droplet_id')
    .selectAll('processes')
    .select([
      'apps.guid as app_guid',
      'spaces.guid as space_guid',
      'apps.space_id as space_id',
      'spaces.organization_id as organization_id',
      'droplets.process_types as droplet_process_types',
    ]);
}

export function listProcesses(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<ProcessWithRefs>> {
  const qb = whereInReadableSpaces(joined(db), actor.readableSpaces(), 'apps.space_id', 'spaces.organization_id');
  return fetchPage<ProcessWithRefs>(applyListFilters(qb, query, table), query, 'processes');
}

/** An app's processes; the caller has already checked that the app is readable. */
export function listAppProcesses(db: Kysely<Database>, app: AppRow, query: ListQuery): Promise<Page<ProcessWithRefs>> {
  return fetchPage<ProcessWithRefs>(applyListFilters(joined(db).where('processes.app_id', '=', app.id), query, table), query, 'processes');
}

/** The process if the caller may read its space; else 404 "Process not found". */
export async function getReadableProcess(db: Kysely<Database>, actor: Permissions, guid: string): Promise<ProcessWithRefs> {
  const found = await findProcess(db, guid);
  if (!found || !actor.canReadSpace({ spaceId: found.space_id, organizationId: found.organization_id })) throw notFound('Process');
  return found;
}

/**
 * The app's process of that type, if the caller may read the app: else 404 "App not found"
 * when the app is missing or unreadable, "Process not found" when it has no such process (as CF
 * tells them apart). One statement when the process is there.
 */
export async function getReadableAppProcess(
  db: Kysely<Database>,
  actor: Permissions,
  appGuid: string,
  type: string,
): Promise<ProcessWithRefs> {
  const found = await joined(db).where('apps.guid', '=', appGuid).where('processes.type', '=', type).executeTakeFirst();
  if (found && actor.canReadSpace({ spaceId: found.space_id, organizationId: found.organization_id })) return found;
  await getReadableApp(db, actor, appGuid);
  throw notFound('Process');
}

export function findProcess(db: Kysely<Database>, guid: string): Promise<ProcessWithRefs | undefined> {
  return joined(db).where('processes.guid', '=', guid).executeTakeFirst();
}

/** The command a process runs: its own, else the one its app's current droplet detected for its type. */
export function processCommand(process: Pick<ProcessRow, 'command' | 'type'>, dropletProcessTypes: string | null): string | null {
  if (process.command !== null) return process.command;
  if (dropletProcessTypes === null) return null;
  const detected = (JSON.parse(dropletProcessTypes) as Record<string, unknown>)[process.type];
  return typeof detected === 'string' ? detected : null;
}
