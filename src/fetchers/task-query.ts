// Runs a TaskQuery (core/task-query.ts) in SQL within the caller's read scope: the one task read
// model of every dialect (CF's page numbers are a mode of it). Filtering, ordering, paging and
// counting all happen in the database; only the page's rows (and, in one more query, their
// labels) come back.
import { sql, type Expression, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Scope } from '../auth/permissions.js';
import { badQuery } from '../core/errors.js';
import type { TaskOrder, TaskPageNumber, TaskQuery, TaskQueryValue } from '../core/task-query.js';
import type { Database, TaskRow } from '../store/schema.js';
import { whereInReadableSpaces } from './scope.js';
import { countFromCounters } from './task-counts.js';
import { taskCondition, taskField } from './task-query-fields.js';

/** A task as the dialects present it: its row plus what they show of its app, space, org and users. */
export interface TaskView extends TaskRow {
  app_guid: string;
  app_name: string;
  space_guid: string;
  space_name: string;
  organization_guid: string;
  organization_name: string;
  /** The creator's username. */
  created_by_name: string | null;
  /** The username of who dismissed it (Dbvisit); null while not dismissed. */
  dismissed_by_name: string | null;
  latest_message_text: string | null;
  latest_message_time: string | null;
  /** 'task' (the task reported it) or 'runner'; null when the task has no message. */
  latest_message_source: string | null;
  /** The task's labels, ordered by key (`prefix/name` or `name`); empty when the query left them out. */
  labels: { key: string; value: string }[];
  /** Whether the task's droplet still exists (CF shows the default user only then). */
  droplet_exists: boolean;
}

export interface TaskQueryPage {
  rows: TaskView[];
  /** `after` for the next page; absent on the last page. */
  next?: TaskQueryValue[];
  /** Every match, when the query asked for `count`. */
  total?: number;
}

/** How many rows a query without a limit reads at a time. */
export const TASK_QUERY_PAGE_SIZE = 500;

/**
 * One page of the tasks the scope may read that match the query. Without a limit, every match
 * (read TASK_QUERY_PAGE_SIZE rows at a time; see eachTaskPage to hold only one page at a time).
 * With a page number, that page, and always the total.
 */
export async function queryTasks(
  db: Kysely<Database>,
  scope: Scope,
  query: TaskQuery & { page: TaskPageNumber },
): Promise<TaskQueryPage & { total: number }>;
export async function queryTasks(db: Kysely<Database>, scope: Scope, query: TaskQuery): Promise<TaskQueryPage>;
export async function queryTasks(db: Kysely<Database>, scope: Scope, query: TaskQuery): Promise<TaskQueryPage> {
  if (query.page) {
    const [rows, total] = await Promise.all([fetchNumberedPage(db, scope, query, query.page), countMatchingTasks(db, scope, query)]);
    return { rows, total };
  }
  if (query.limit === undefined) {
    const rows: TaskView[] = [];
    for await (const page of eachTaskPage(db, scope, query)) rows.push(...page);
    return { rows, ...(query.count ? { total: await countMatchingTasks(db, scope, query) } : {}) };
  }
  const [page, total] = await Promise.all([
    fetchPage(db, scope, query, query.limit, query.after),
    query.count ? countMatchingTasks(db, scope, query) : undefined,
  ]);
  return { ...page, ...(total !== undefined ? { total } : {}) };
}

/**
 * Every match of the query (its limit ignored), a bounded page at a time, for answers streamed
 * to the client: memory holds one page, and each page is a keyset step of constant cost.
 */
export async function* eachTaskPage(
  db: Kysely<Database>,
  scope: Scope,
  query: TaskQuery,
  pageSize = TASK_QUERY_PAGE_SIZE,
): AsyncGenerator<TaskView[]> {
  let after = query.after;
  for (;;) {
    const page = await fetchPage(db, scope, query, pageSize, after);
    if (page.rows.length) yield page.rows;
    if (!page.next) return;
    after = page.next;
  }
}

/** One task the scope may read, by guid or integer id; undefined when absent or unreadable. */
export async function readableTask(
  db: Kysely<Database>,
  scope: Scope,
  by: { guid: string } | { id: number },
  projection: Pick<TaskQuery, 'withLabels'> = {},
): Promise<TaskView | undefined> {
  const where =
    'guid' in by
      ? { field: 'guid' as const, op: 'eq' as const, value: by.guid }
      : { field: 'id' as const, op: 'eq' as const, value: by.id };
  const row = await whereInReadableSpaces(viewRows(db), scope, 'tasks.space_id', 'tasks.organization_id')
    .where(taskCondition(where))
    .executeTakeFirst();
  return row && asView(row, projection.withLabels === false ? new Map() : await labelsOf(db, [Number(row.id)]));
}

/** The number of tasks the scope may read that match the query's conditions: from counters where they tell. */
export async function countMatchingTasks(db: Kysely<Database>, scope: Scope, query: Pick<TaskQuery, 'where'>): Promise<number> {
  const counted = await countFromCounters(db, scope, query.where);
  if (counted !== undefined) return counted;
  const row = await matching(db, scope, query)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Tasks within the scope matching the conditions (the tasks table alone; see task-query-fields.ts). */
function matching(db: Kysely<Database>, scope: Scope, query: Pick<TaskQuery, 'where'>) {
  let qb = whereInReadableSpaces(db.selectFrom('tasks'), scope, 'tasks.space_id', 'tasks.organization_id');
  for (const condition of query.where) qb = qb.where(taskCondition(condition));
  return qb;
}

/** The order's keys with the id tiebreak appended in the last key's direction (unless it names a unique field). */
function keysOf(order: readonly TaskOrder[]): TaskOrder[] {
  if (order.some((k) => k.field === 'id' || k.field === 'guid')) return [...order];
  return [...order, { field: 'id', direction: order.at(-1)?.direction ?? 'asc' }];
}

/**
 * The page is chosen on the tasks table alone (a walk of one of its indexes in the key order,
 * stopping after the page), and only its rows are then read whole with their joins.
 */
async function fetchPage(
  db: Kysely<Database>,
  scope: Scope,
  query: TaskQuery,
  limit: number,
  after: readonly TaskQueryValue[] | undefined,
): Promise<TaskQueryPage> {
  const keys = keysOf(query.order);
  // The page's position comes from this query's own key values, so it is exactly what the next
  // page's comparison continues from, even if a task of the page is deleted before it is read.
  let qb = ordered(
    matching(db, scope, query)
      .select('tasks.id')
      .select(keys.map((k, i) => sql<TaskQueryValue>`${taskField(k.field).expr}`.as(`key${i}`))),
    keys,
  );
  if (after) qb = qb.where(afterPosition(keys, after));
  if (limit < 1) return { rows: [] };
  // One row more than asked tells whether another page exists.
  const found = (await qb.limit(limit + 1).execute()) as unknown as Record<string, TaskQueryValue>[];
  const page = found.slice(0, limit);
  const views = await taskViews(
    db,
    page.map((r) => Number(r.id)),
    query.withLabels !== false,
  );
  const last = page.at(-1);
  return { rows: views, ...(found.length > limit && last ? { next: keys.map((_, i) => positionValue(last[`key${i}`])) } : {}) };
}

/**
 * The numbered page, in one statement: its ids are picked by a walk of index entries past the
 * offset (on the tasks table alone), and only their rows are read whole: deep pages skip
 * entries, not rows.
 */
async function fetchNumberedPage(db: Kysely<Database>, scope: Scope, query: TaskQuery, page: TaskPageNumber): Promise<TaskView[]> {
  const keys = keysOf(query.order);
  const pageIds = ordered(matching(db, scope, query).select('tasks.id'), keys)
    .limit(page.size)
    .offset((page.number - 1) * page.size);
  const rows = await ordered(viewRows(db).where('tasks.id', 'in', pageIds), keys).execute();
  const labels =
    query.withLabels === false
      ? new Map()
      : await labelsOf(
          db,
          rows.map((r) => Number(r.id)),
        );
  return rows.map((row) => asView(row, labels));
}

/**
 * Ordered by the keys. Nulls sort as the smallest value in both stores (SQLite's default, not
 * PostgreSQL's), so a position holding a null means the same thing to each. Only nullable keys
 * say so: PostgreSQL walks an index backwards for DESC, but not for a NULLS order its index does
 * not have.
 */
function ordered<Q extends SelectQueryBuilder<any, any, any>>(qb: Q, keys: readonly TaskOrder[]): Q {
  for (const key of keys) {
    const field = taskField(key.field);
    qb = qb.orderBy(field.expr, (ob) => {
      const direction = key.direction === 'asc' ? ob.asc() : ob.desc();
      if (!field.nullable) return direction;
      return key.direction === 'asc' ? direction.nullsFirst() : direction.nullsLast();
    }) as Q;
  }
  return qb;
}

/** These tasks as views, in the given order. */
async function taskViews(db: Kysely<Database>, ids: number[], withLabels: boolean): Promise<TaskView[]> {
  if (!ids.length) return [];
  const [rows, labels] = await Promise.all([
    viewRows(db).where('tasks.id', 'in', ids).execute(),
    withLabels ? labelsOf(db, ids) : new Map(),
  ]);
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  // A task deleted between the two reads is left out of the page.
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [asView(row, labels)] : [];
  });
}

type ViewRow = Awaited<ReturnType<ReturnType<typeof viewRows>['execute']>>[number];

const asView = (row: ViewRow, labels: Map<number, TaskView['labels']>): TaskView =>
  ({ ...row, droplet_exists: Boolean(row.droplet_exists), labels: labels.get(Number(row.id)) ?? [] }) as TaskView;

/** Tasks with what their views show of their app, space, org, users, latest message and droplet. */
function viewRows(db: Kysely<Database>) {
  return (
    db
      .selectFrom('tasks')
      .innerJoin('apps', 'apps.id', 'tasks.app_id')
      .innerJoin('spaces', 'spaces.id', 'tasks.space_id')
      .innerJoin('organizations', 'organizations.id', 'tasks.organization_id')
      .leftJoin('users as creator', 'creator.guid', 'tasks.created_by')
      .leftJoin('users as dismisser', 'dismisser.guid', 'tasks.dismissed_by')
      // message_count is the latest message's seq: one primary-key lookup per task.
      .leftJoin('task_messages as latest', (join) =>
        join.onRef('latest.task_id', '=', 'tasks.id').onRef('latest.seq', '=', 'tasks.message_count'),
      )
      .selectAll('tasks')
      .select([
        'apps.guid as app_guid',
        'apps.name as app_name',
        'spaces.guid as space_guid',
        'spaces.name as space_name',
        'organizations.guid as organization_guid',
        'organizations.name as organization_name',
        'creator.username as created_by_name',
        'dismisser.username as dismissed_by_name',
        'latest.text as latest_message_text',
        'latest.time as latest_message_time',
        'latest.source as latest_message_source',
      ])
      .select(sql<boolean | number>`exists (select 1 from droplets d where d.guid = tasks.droplet_guid)`.as('droplet_exists'))
  );
}

/** A key value as a position holds it: numbers as numbers (PostgreSQL's bigints arrive parsed). */
function positionValue(value: TaskQueryValue | undefined): TaskQueryValue {
  return value === undefined ? null : value;
}

/**
 * Rows strictly after the position in the key order. All keys never null and in one direction:
 * a row-value comparison, which both stores answer with one index range. Otherwise the
 * lexicographic expansion, with nulls as the smallest value.
 */
function afterPosition(keys: TaskOrder[], after: readonly TaskQueryValue[]): Expression<SqlBool> {
  if (after.length !== keys.length) throw badQuery('The page position does not fit the order');
  const fields = keys.map((k) => taskField(k.field));
  // A position is the dialects' (possibly client-held) cursor: a non-integer for an integer key
  // would make PostgreSQL fail the query.
  if (fields.some((f, i) => f.integer && after[i] !== null && !Number.isSafeInteger(Number(after[i]))))
    throw badQuery('The page position does not fit the order');
  const direction = keys[0].direction;
  if (fields.every((f, i) => !f.nullable && after[i] !== null) && keys.every((k) => k.direction === direction)) {
    const left = sql.join(fields.map((f) => f.expr));
    const right = sql.join(fields.map((f, i) => f.param(after[i]!)));
    return direction === 'asc' ? sql<SqlBool>`(${left}) > (${right})` : sql<SqlBool>`(${left}) < (${right})`;
  }
  let condition: Expression<SqlBool> = sql<SqlBool>`1 = 0`;
  for (let i = keys.length - 1; i >= 0; i--) {
    const { expr, param } = fields[i];
    const value = after[i];
    const equal = value === null ? sql<SqlBool>`${expr} is null` : sql<SqlBool>`${expr} = ${param(value)}`;
    const beyond =
      keys[i].direction === 'asc'
        ? value === null
          ? sql<SqlBool>`${expr} is not null`
          : sql<SqlBool>`${expr} > ${param(value)}`
        : value === null
          ? sql<SqlBool>`1 = 0`
          : sql<SqlBool>`(${expr} < ${param(value)} or ${expr} is null)`;
    condition = sql<SqlBool>`(${beyond} or (${equal} and ${condition}))`;
  }
  return condition;
}

/** Labels of these tasks in one query, by task id. */
async function labelsOf(db: Kysely<Database>, taskIds: number[]): Promise<Map<number, { key: string; value: string }[]>> {
  const byTask = new Map<number, { key: string; value: string }[]>();
  if (!taskIds.length) return byTask;
  const rows = await db
    .selectFrom('metadata')
    .select(['resource_id', 'key_prefix', 'key_name', 'value'])
    .where('resource_kind', '=', 'task')
    .where('metadata_kind', '=', 'label')
    // One id twice: for a lone `resource_id = ?` SQLite (without ANALYZE) prefers the covering
    // label-selector index and scans every task label (about 10 ms at a million tasks); for a
    // list it walks metadata_resource_key.
    .where('resource_id', 'in', taskIds.length === 1 ? [taskIds[0], taskIds[0]] : taskIds)
    .orderBy('resource_id')
    .orderBy('key_prefix')
    .orderBy('key_name')
    .execute();
  for (const r of rows) {
    const list = byTask.get(Number(r.resource_id)) ?? [];
    list.push({ key: r.key_prefix ? `${r.key_prefix}/${r.key_name}` : r.key_name, value: r.value });
    byTask.set(Number(r.resource_id), list);
  }
  return byTask;
}
