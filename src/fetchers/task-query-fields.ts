// What each TaskQuery field is in SQL over the tasks table alone, and TaskConditions as SQL
// predicates. Facts of the app, space, org and creator are scalar subqueries on the task's own
// reference columns, so a page query never joins: the planner walks a tasks index in the
// requested order and stops after the page. Equality on them becomes "reference in (ids having
// it)", which the reference columns' indexes serve. Every predicate is two-valued (never SQL
// NULL), so `not` inverts exactly what it wraps.
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { TaskCondition, TaskQueryField, TaskQueryValue } from '../core/task-query.js';

export interface TaskFieldSql {
  expr: RawBuilder<unknown>;
  nullable: boolean;
  /** Integer columns take integer parameters (PostgreSQL refuses to compare them with text). */
  integer: boolean;
  /** A value as a parameter of this field's type. */
  param(value: string | number): RawBuilder<unknown>;
  /** For a fact of another row: the task's reference column and the rows having given values. */
  lookup?: { reference: string; having(values: readonly (string | number)[]): RawBuilder<unknown> };
}

const column = (ref: string, nullable: boolean, integer = false): TaskFieldSql => ({
  expr: sql.ref(ref),
  nullable,
  integer,
  // bigint: PostgreSQL would otherwise refuse a value beyond an int4 column's range outright.
  param: (value) => (integer ? sql`cast(${Number(value)} as bigint)` : sql`${String(value)}`),
});

/** A text column of the row that `reference` (a tasks column) points at by its `key`. */
const referenced = (table: string, key: string, name: string, reference: string, nullable: boolean): TaskFieldSql => ({
  expr: sql`(select r.${sql.ref(name)} from ${sql.table(table)} r where r.${sql.ref(key)} = ${sql.ref(reference)})`,
  nullable,
  integer: false,
  param: (value) => sql`${String(value)}`,
  lookup: {
    reference,
    having: (values) =>
      sql`(select r.${sql.ref(key)} from ${sql.table(table)} r where r.${sql.ref(name)} in (${sql.join(values.map(String))}))`,
  },
});

const FIELDS: Record<TaskQueryField, TaskFieldSql> = {
  id: column('tasks.id', false, true),
  guid: column('tasks.guid', false),
  name: column('tasks.name', false),
  sequence_id: column('tasks.sequence_id', false, true),
  state: column('tasks.state', false),
  failure_reason: column('tasks.failure_reason', true),
  exit_status: column('tasks.exit_status', true, true),
  memory_in_mb: column('tasks.memory_in_mb', false, true),
  disk_in_mb: column('tasks.disk_in_mb', false, true),
  progress_percent: column('tasks.progress_percent', true, true),
  progress_message: column('tasks.progress_message', true),
  parent_task_guid: column('tasks.parent_task_guid', true),
  created_at: column('tasks.created_at', false),
  updated_at: column('tasks.updated_at', false),
  started_at: column('tasks.started_at', true),
  finished_at: column('tasks.finished_at', true),
  cancel_requested_at: column('tasks.cancel_requested_at', true),
  created_by: column('tasks.created_by', true),
  created_by_name: referenced('users', 'guid', 'username', 'tasks.created_by', true),
  app_id: column('tasks.app_id', false, true),
  app_guid: referenced('apps', 'id', 'guid', 'tasks.app_id', false),
  app_name: referenced('apps', 'id', 'name', 'tasks.app_id', false),
  space_guid: referenced('spaces', 'id', 'guid', 'tasks.space_id', false),
  organization_guid: referenced('organizations', 'id', 'guid', 'tasks.organization_id', false),
  dismissed_by: column('tasks.dismissed_by', true),
};

export function taskField(field: TaskQueryField): TaskFieldSql {
  const found = FIELDS[field];
  if (!found) throw new TypeError(`unknown task query field ${field}`);
  return found;
}

const TRUE = sql<SqlBool>`1 = 1`;
const FALSE = sql<SqlBool>`1 = 0`;

const isIntegerValue = (value: string | number) => {
  const n = typeof value === 'number' ? value : /^-?\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n);
};

/**
 * The two sides of a comparison of a field with a value. An integer field compared with a value
 * that is no integer compares as text, so such a value matches nothing by equality rather than
 * failing the query on PostgreSQL.
 */
function operands(f: TaskFieldSql, value: string | number): [RawBuilder<unknown>, RawBuilder<unknown>] {
  if (f.integer && !isIntegerValue(value)) return [sql`cast(${f.expr} as text)`, sql`${String(value)}`];
  return [f.expr, f.param(value)];
}

/** `test` where the field is not null; false where it is (instead of SQL's unknown). */
function whenPresent(f: TaskFieldSql, test: RawBuilder<SqlBool>): RawBuilder<SqlBool> {
  return f.nullable ? sql<SqlBool>`(${f.expr} is not null and ${test})` : test;
}

const COMPARISONS = { eq: '=', lt: '<', gt: '>', lte: '<=', gte: '>=' } as const;

export function taskCondition(c: TaskCondition): Expression<SqlBool> {
  switch (c.op) {
    case 'and':
      return c.conditions.length ? sql<SqlBool>`(${sql.join(c.conditions.map(taskCondition), sql` and `)})` : TRUE;
    case 'or':
      return c.conditions.length ? sql<SqlBool>`(${sql.join(c.conditions.map(taskCondition), sql` or `)})` : FALSE;
    case 'not':
      return sql<SqlBool>`not ${taskCondition(c.condition)}`;
    case 'label':
      return labelCondition(c.key, c.value);
    case 'in':
      return c.ignoreCase ? inIgnoringCase(taskField(c.field), c.values) : inCondition(taskField(c.field), c.values);
    case 'contains':
      return containsCondition(taskField(c.field), c.value);
    case 'ne':
      return notEqualCondition(taskField(c.field), c.value);
    default: {
      const f = taskField(c.field);
      if (c.value === null) return c.op === 'eq' ? sql<SqlBool>`${f.expr} is null` : FALSE;
      if (c.op === 'eq' && f.lookup) return inCondition(f, [c.value]);
      const [left, right] = operands(f, c.value);
      return whenPresent(f, sql<SqlBool>`${left} ${sql.raw(COMPARISONS[c.op])} ${right}`);
    }
  }
}

/** A field that is null does not equal a value, so `ne` matches it. */
function notEqualCondition(f: TaskFieldSql, value: TaskQueryValue): RawBuilder<SqlBool> {
  if (value === null) return sql<SqlBool>`${f.expr} is not null`;
  const [left, right] = operands(f, value);
  return f.nullable ? sql<SqlBool>`(${f.expr} is null or ${left} <> ${right})` : sql<SqlBool>`${left} <> ${right}`;
}

function inCondition(f: TaskFieldSql, values: readonly (string | number)[]): RawBuilder<SqlBool> {
  if (!values.length) return FALSE;
  if (f.lookup) {
    const test = sql<SqlBool>`${sql.ref(f.lookup.reference)} in ${f.lookup.having(values)}`;
    return f.nullable ? sql<SqlBool>`(${sql.ref(f.lookup.reference)} is not null and ${test})` : test;
  }
  const typed = f.integer ? values.filter(isIntegerValue) : values;
  const asText = f.integer ? values.filter((v) => !isIntegerValue(v)) : [];
  const parts = [
    ...(typed.length ? [sql<SqlBool>`${f.expr} in (${sql.join(typed.map((v) => f.param(v)))})`] : []),
    ...(asText.length ? [sql<SqlBool>`cast(${f.expr} as text) in (${sql.join(asText.map(String))})`] : []),
  ];
  return whenPresent(f, parts.length === 1 ? parts[0] : sql<SqlBool>`(${sql.join(parts, sql` or `)})`);
}

/** Lowercased text in the lowercased values: what an index on lower(column) serves (tasks_name). */
function inIgnoringCase(f: TaskFieldSql, values: readonly (string | number)[]): RawBuilder<SqlBool> {
  if (f.integer || f.lookup) throw new TypeError('ignoreCase applies to a text column of the task');
  if (!values.length) return FALSE;
  return whenPresent(f, sql<SqlBool>`lower(${f.expr}) in (${sql.join(values.map((v) => String(v).toLowerCase()))})`);
}

/**
 * Case-sensitive substring: removing the value changes the text exactly when it occurs. Unlike
 * LIKE this needs no escaping of % and _, and it is case-sensitive in both stores (SQLite's LIKE
 * is not).
 */
function containsCondition(f: TaskFieldSql, value: string): RawBuilder<SqlBool> {
  const text = f.integer ? sql`cast(${f.expr} as text)` : f.expr;
  if (value === '') return sql<SqlBool>`${f.expr} is not null`;
  return whenPresent(f, sql<SqlBool>`replace(${text}, ${value}, '') <> ${text}`);
}

/** A label key is `name` or `prefix/name`, as in CF's metadata. */
function labelCondition(key: string, value: string | readonly string[] | undefined): RawBuilder<SqlBool> {
  if (typeof value === 'object' && !value.length) return FALSE;
  const slash = key.indexOf('/');
  const [prefix, name] = slash < 0 ? ['', key] : [key.slice(0, slash), key.slice(slash + 1)];
  return sql<SqlBool>`exists (select 1 from metadata m
    where m.resource_kind = 'task' and m.metadata_kind = 'label'
      and m.key_prefix = ${prefix} and m.key_name = ${name}
      ${typeof value === 'string' ? sql`and m.value = ${value}` : value !== undefined ? sql`and m.value in (${sql.join(value)})` : sql``}
      and m.resource_id = tasks.id)`;
}
