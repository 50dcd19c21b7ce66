// Counts of a task query answered from counters instead of the matching rows. Where the
// conditions are only states, space guids and org guids (any of them, AND-ed), within any read
// scope, the answer is summed from the trigger-maintained `task_counts` (a few rows per space);
// an unscoped query whose one condition is one label (or its absence) is answered from
// `task_label_counts`. Anything else is left to counting the matching rows.
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Scope } from '../auth/permissions.js';
import type { TaskCondition } from '../core/task-query.js';
import type { Database } from '../store/schema.js';
import { whereInReadableSpaces } from './scope.js';

/** The task_counts column and how a guid turns into it, per countable field. */
const COUNTER_FIELDS = {
  state: { column: 'task_counts.state', ids: undefined },
  space_guid: { column: 'task_counts.space_id', ids: 'spaces' },
  organization_guid: { column: 'task_counts.organization_id', ids: 'organizations' },
} as const;

type CounterCondition = { field: keyof typeof COUNTER_FIELDS; values: readonly string[] };

/** The number of tasks within the scope matching every condition, if counters can tell; else undefined. */
export async function countFromCounters(db: Kysely<Database>, scope: Scope, where: readonly TaskCondition[]): Promise<number | undefined> {
  const counted = where.map(counterCondition);
  if (counted.every((c) => c !== undefined)) return fromStateCounters(db, scope, counted as CounterCondition[]);
  if (scope.all && where.length === 1) {
    const [only] = where;
    if (only.op === 'label') return fromLabelCounters(db, only.key, only.value, false);
    if (only.op === 'not' && only.condition.op === 'label') return fromLabelCounters(db, only.condition.key, only.condition.value, true);
  }
  return undefined;
}

function counterCondition(c: TaskCondition): CounterCondition | undefined {
  if (c.op === 'eq' && c.field in COUNTER_FIELDS && typeof c.value === 'string')
    return { field: c.field as CounterCondition['field'], values: [c.value] };
  if (c.op === 'in' && c.field in COUNTER_FIELDS && !c.ignoreCase && c.values.every((v) => typeof v === 'string')) {
    return { field: c.field as CounterCondition['field'], values: c.values as readonly string[] };
  }
  return undefined;
}

function fromStateCounters(db: Kysely<Database>, scope: Scope, conditions: CounterCondition[]): Promise<number> {
  let qb = whereInReadableSpaces(db.selectFrom('task_counts'), scope, 'task_counts.space_id', 'task_counts.organization_id');
  for (const { field, values } of conditions) {
    if (!values.length) return Promise.resolve(0);
    const { column, ids } = COUNTER_FIELDS[field];
    qb =
      ids === undefined
        ? qb.where(column, 'in', values)
        : qb.where(column, 'in', db.selectFrom(ids).select(`${ids}.id`).where(`${ids}.guid`, 'in', values));
  }
  return sumOf(qb);
}

/**
 * A task has at most one value per label key, so the tasks having the label with one of the
 * values are the sum of the per-value counts (with any value: of all of the key's), and those
 * without it are the rest of all tasks.
 */
async function fromLabelCounters(
  db: Kysely<Database>,
  key: string,
  value: string | readonly string[] | undefined,
  absent: boolean,
): Promise<number> {
  const slash = key.indexOf('/');
  const [prefix, name] = slash < 0 ? ['', key] : [key.slice(0, slash), key.slice(slash + 1)];
  const values = typeof value === 'string' ? [value] : value;
  let qb = db.selectFrom('task_label_counts').where('key_prefix', '=', prefix).where('key_name', '=', name);
  if (values) qb = values.length ? qb.where('value', 'in', values) : qb.where(sql<boolean>`1 = 0`);
  const labelled = await sumOf(qb);
  if (!absent) return labelled;
  return (await sumOf(db.selectFrom('task_counts'))) - labelled;
}

async function sumOf(qb: SelectQueryBuilder<Database, 'task_counts' | 'task_label_counts', any>): Promise<number> {
  const row = await qb.select(sql<number | string | null>`sum(count)`.as('total')).executeTakeFirst();
  return Number(row?.total ?? 0);
}
