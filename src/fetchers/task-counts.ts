// `total_results` of a task list. Where the filters are only who-may-read (all, spaces, orgs),
// space/org guids and states, the answer is summed from the trigger-maintained `task_counts`
// (a few rows per space); an unscoped list filtered by one label requirement is answered from
// `task_label_counts`. Anything else counts the matching rows.
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Scope } from '../auth/permissions.js';
import type { LabelRequirement } from '../core/labels.js';
import type { ListQuery } from '../core/list-query.js';
import type { Database } from '../store/schema.js';
import { whereInReadableSpaces } from './scope.js';

/** Which tasks a list starts from: those the caller may read, or one (readable) app's. */
export interface TaskListWhere {
  scope?: Scope;
  appId?: number;
}

const COUNTER_LISTS = new Set(['states', 'space_guids', 'organization_guids']);

export async function countTasks(
  db: Kysely<Database>,
  query: ListQuery,
  where: TaskListWhere,
  matching: () => SelectQueryBuilder<Database, 'tasks', any>,
): Promise<number> {
  if (where.scope && !hasTimes(query)) {
    const lists = Object.keys(query.lists);
    if (!query.labelSelector && lists.every((k) => COUNTER_LISTS.has(k))) return fromStateCounters(db, query, where.scope);
    if (where.scope.all && lists.length === 0 && query.labelSelector?.length === 1) return fromLabelCounters(db, query.labelSelector[0]);
  }
  const row = await matching().clearSelect().select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirst();
  return Number(row?.total ?? 0);
}

const hasTimes = (query: ListQuery) => Object.keys(query.times).length > 0;

function fromStateCounters(db: Kysely<Database>, query: ListQuery, scope: Scope): Promise<number> {
  let qb = whereInReadableSpaces(db.selectFrom('task_counts'), scope, 'task_counts.space_id', 'task_counts.organization_id');
  const { states, space_guids, organization_guids } = query.lists;
  if (states) qb = qb.where('task_counts.state', 'in', states);
  if (space_guids) qb = qb.where('task_counts.space_id', 'in', db.selectFrom('spaces').select('spaces.id').where('spaces.guid', 'in', space_guids));
  if (organization_guids) {
    qb = qb.where('task_counts.organization_id', 'in', db.selectFrom('organizations').select('organizations.id').where('organizations.guid', 'in', organization_guids));
  }
  return sumOf(qb);
}

/**
 * A task has at most one value per label key, so the tasks matching `key in (a, b)` are the sum
 * of the per-value counts, and the negative forms are the rest of all tasks.
 */
async function fromLabelCounters(db: Kysely<Database>, req: LabelRequirement): Promise<number> {
  let qb = db.selectFrom('task_label_counts').where('key_prefix', '=', req.key.prefix).where('key_name', '=', req.key.name);
  if ('values' in req) qb = qb.where('value', 'in', req.values);
  const labelled = await sumOf(qb);
  if (req.op === 'in' || req.op === 'eq' || req.op === 'exists') return labelled;
  return (await sumOf(db.selectFrom('task_counts'))) - labelled;
}

async function sumOf(qb: SelectQueryBuilder<Database, 'task_counts' | 'task_label_counts', any>): Promise<number> {
  const row = await qb.select(sql<number | string | null>`sum(count)`.as('total')).executeTakeFirst();
  return Number(row?.total ?? 0);
}
