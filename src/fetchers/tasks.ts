// Reads of tasks, scoped to the spaces the caller may read.
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { ListQuery, ListSpec } from '../core/list-query.js';
import type { Database, OrganizationRow, SpaceRow, AppRow } from '../store/schema.js';
import type { TaskWithRefs } from '../api/cf/presenters/task.js';
import { applyListFilters, type ListTable, type Page } from './list.js';
import { whereInReadableSpaces } from './scope.js';
import { countTasks, type TaskListWhere } from './task-counts.js';
import { storedStatesMatching } from '../core/task-states.js';

// CF's registration order (spec §5); it appears in the unknown-parameter message.
const ALLOWED = [
  'page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'names', 'states', 'app_guids',
  'organization_guids', 'space_guids', 'app_guid', 'sequence_ids', 'label_selector',
] as const;

/**
 * GET /v3/tasks: sequence ids are per app, so they only mean something under one. `app_guid` is
 * CF's internal carrier of the nested route's app; here taskd treats it as unknown (spec §11).
 */
export const taskListSpec: ListSpec = { allowed: ALLOWED.filter((k) => k !== 'app_guid'), misplaced: ['sequence_ids'] };

/** GET /v3/apps/:guid/tasks: the app is given, so app/space/org filters are out of place. */
export const appTaskListSpec: ListSpec = {
  allowed: ALLOWED,
  misplaced: ['space_guids', 'organization_guids', 'app_guids'],
  integerLists: { sequence_ids: 'Sequence ids must be integers' },
};

const table: ListTable = {
  alias: 'tasks',
  resourceKind: 'task',
  filters: {
    guids: { column: 'tasks.guid' },
    names: { column: 'tasks.name', caseInsensitive: true },
    states: { column: 'tasks.state' },
  },
};

// sequence_id is a 32-bit integer column: PostgreSQL refuses larger parameters outright.
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export interface TaskInApp {
  task: TaskWithRefs;
  app: AppRow;
  space: SpaceRow;
  org: OrganizationRow;
}

/** Tasks joined with their app's guid, whether their droplet still exists, and their latest message. */
export function tasksWithRefs(db: Kysely<Database>) {
  return db
    .selectFrom('tasks')
    .innerJoin('apps', 'apps.id', 'tasks.app_id')
    // message_count is the latest message's seq: one primary-key lookup per task.
    .leftJoin('task_messages as latest', (join) => join.onRef('latest.task_id', '=', 'tasks.id').onRef('latest.seq', '=', 'tasks.message_count'))
    .selectAll('tasks')
    .select(['apps.guid as app_guid', 'latest.time as latest_message_time', 'latest.source as latest_message_source', 'latest.text as latest_message_text'])
    .select(sql<boolean>`exists (select 1 from droplets d where d.guid = tasks.droplet_guid)`.as('droplet_exists'));
}

/** GET /v3/tasks: every task the caller may read. */
export function listTasks(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<TaskWithRefs>> {
  return fetchTaskPage(db, query, { scope: actor.readableSpaces() });
}

/** An app's tasks; the caller has already checked that the app is readable. */
export function listAppTasks(db: Kysely<Database>, app: AppRow, query: ListQuery): Promise<Page<TaskWithRefs>> {
  return fetchTaskPage(db, query, { appId: app.id });
}

async function fetchTaskPage(db: Kysely<Database>, cfQuery: ListQuery, where: TaskListWhere): Promise<Page<TaskWithRefs>> {
  // `states` names CF's states; the rows and the counters hold taskd's (states=RUNNING is also
  // PAUSING and PAUSED). Mapped once here, so the filter and both counts agree.
  const query = withStoredStates(cfQuery);
  // The page is chosen on task ids alone (an index-only walk past the offset), and only its
  // rows are then read whole and joined: deep pages skip index entries, not table rows.
  const pageIds = orderTasks(filteredTaskIds(db, query, where), query)
    .limit(query.perPage)
    .offset((query.page - 1) * query.perPage);
  const [rows, total] = await Promise.all([
    orderTasks(tasksWithRefs(db).where('tasks.id', 'in', pageIds), query).execute(),
    countTasks(db, query, where, () => filteredTaskIds(db, query, where)),
  ]);
  return { rows: rows.map((r) => ({ ...r, droplet_exists: Boolean(r.droplet_exists) }) as TaskWithRefs), total };
}

function withStoredStates(query: ListQuery): ListQuery {
  const { states } = query.lists;
  return states ? { ...query, lists: { ...query.lists, states: storedStatesMatching(states) } } : query;
}

/** Ids of the tasks matching every filter of the query, within the caller's scope or app. */
function filteredTaskIds(db: Kysely<Database>, query: ListQuery, where: TaskListWhere) {
  let qb = db.selectFrom('tasks').select('tasks.id');
  if (where.appId !== undefined) qb = qb.where('tasks.app_id', '=', where.appId);
  if (where.scope) qb = whereInReadableSpaces(qb, where.scope, 'tasks.space_id', 'tasks.organization_id');
  // Guids become ids in subqueries, so the tasks table is filtered on its own columns.
  const { app_guids, space_guids, organization_guids, sequence_ids } = query.lists;
  if (app_guids) qb = qb.where('tasks.app_id', 'in', db.selectFrom('apps').select('apps.id').where('apps.guid', 'in', app_guids));
  if (space_guids) qb = qb.where('tasks.space_id', 'in', db.selectFrom('spaces').select('spaces.id').where('spaces.guid', 'in', space_guids));
  if (organization_guids) {
    qb = qb.where('tasks.organization_id', 'in', db.selectFrom('organizations').select('organizations.id').where('organizations.guid', 'in', organization_guids));
  }
  if (sequence_ids) {
    const ids = sequence_ids.map(Number).filter((n) => n >= INT32_MIN && n <= INT32_MAX);
    qb = ids.length ? qb.where('tasks.sequence_id', 'in', ids) : qb.where(sql<boolean>`1 = 0`);
  }
  return applyListFilters(qb, query, table);
}

/** Default: insertion order; else the timestamp, ties broken by guid in the same direction. */
function orderTasks<Q extends SelectQueryBuilder<Database, 'tasks', any>>(qb: Q, query: ListQuery): Q {
  if (!query.orderBy) return qb.orderBy('tasks.id', 'asc') as Q;
  const { column, direction } = query.orderBy;
  return qb.orderBy(`tasks.${column}` as 'tasks.created_at', direction).orderBy('tasks.guid', direction) as Q;
}

/** The task with its app, space and org if the caller may read it; else 404 "Task not found". */
export async function getReadableTask(db: Kysely<Database>, actor: Permissions, guid: string): Promise<TaskInApp> {
  const found = await findTask(db, guid);
  if (!found || !actor.canReadSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw notFound('Task');
  return found;
}

export async function findTask(db: Kysely<Database>, guid: string): Promise<TaskInApp | undefined> {
  const row = await tasksWithRefs(db).where('tasks.guid', '=', guid).executeTakeFirst();
  if (!row) return undefined;
  const task = { ...row, droplet_exists: Boolean(row.droplet_exists) } as TaskWithRefs;
  const app = await db.selectFrom('apps').selectAll().where('id', '=', task.app_id).executeTakeFirstOrThrow();
  const space = await db.selectFrom('spaces').selectAll().where('id', '=', task.space_id).executeTakeFirstOrThrow();
  const org = await db.selectFrom('organizations').selectAll().where('id', '=', task.organization_id).executeTakeFirstOrThrow();
  return { task, app, space, org };
}
