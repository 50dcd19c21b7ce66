// Turns a ListQuery into SQL over one resource table: comma-list filters, timestamp ranges,
// label selectors, ordering, counting and offset paging all run in the database.
import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { LabelRequirement } from '../core/labels.js';
import type { ListQuery, TimeRange } from '../core/list-query.js';

export interface ListFilterColumn {
  /** Fully qualified column, e.g. `apps.guid`. */
  column: string;
  /** Match regardless of case (CF's `names`). */
  caseInsensitive?: boolean;
  /** Compare as integers. */
  integer?: boolean;
}

export interface ListTable {
  /** Table alias in the query, e.g. `apps`. */
  alias: string;
  /** resource_kind of its rows in the metadata table. */
  resourceKind: string;
  /** Filter parameter -> column. */
  filters: Record<string, ListFilterColumn>;
}

export interface Page<Row> {
  rows: Row[];
  total: number;
}

type AnySelect = SelectQueryBuilder<any, any, any>;

/** Applies every filter of the query (not ordering or paging). */
export function applyListFilters<Q extends AnySelect>(qb: Q, query: ListQuery, table: ListTable): Q {
  let q: AnySelect = qb;
  for (const [param, values] of Object.entries(query.lists)) {
    const filter = table.filters[param];
    if (!filter) continue;
    if (filter.integer) {
      q = q.where(
        sql.ref(filter.column),
        'in',
        values.map((v) => Number(v)),
      );
    } else if (filter.caseInsensitive) {
      q = q.where(
        sql`lower(${sql.ref(filter.column)})`,
        'in',
        values.map((v) => v.toLowerCase()),
      );
    } else {
      q = q.where(sql.ref(filter.column), 'in', values);
    }
  }
  for (const [column, filter] of Object.entries(query.times)) {
    const ref = `${table.alias}.${column}`;
    if (filter.anyOf) q = q.where((eb) => eb.or(filter.anyOf!.map((r) => rangeCondition(ref, r))));
    if (filter.range) q = q.where(rangeCondition(ref, filter.range));
  }
  for (const requirement of query.labelSelector ?? []) {
    q = q.where(labelCondition(requirement, table));
  }
  return q as Q;
}

function rangeCondition(ref: string, r: TimeRange): Expression<SqlBool> {
  const parts = [];
  if (r.from !== undefined) parts.push(sql`${sql.ref(ref)} >= ${r.from}`);
  if (r.to !== undefined) parts.push(sql`${sql.ref(ref)} < ${r.to}`);
  return parts.length ? sql<SqlBool>`(${sql.join(parts, sql` and `)})` : sql<SqlBool>`1 = 1`;
}

function labelCondition(req: LabelRequirement, table: ListTable): Expression<SqlBool> {
  const matching = (values?: string[]) => sql`exists (select 1 from metadata m
    where m.resource_kind = ${table.resourceKind} and m.metadata_kind = 'label'
      and m.key_prefix = ${req.key.prefix} and m.key_name = ${req.key.name}
      ${values ? sql`and m.value in (${sql.join(values)})` : sql``}
      and m.resource_id = ${sql.ref(`${table.alias}.id`)})`;
  switch (req.op) {
    case 'in':
    case 'eq':
      return sql<SqlBool>`${matching(req.values)}`;
    case 'notin':
    case 'neq':
      return sql<SqlBool>`not ${matching(req.values)}`;
    case 'exists':
      return sql<SqlBool>`${matching()}`;
    case 'notexists':
      return sql<SqlBool>`not ${matching()}`;
  }
}

/** Orders (default: insertion order; else the column, ties by guid) and pages with offsets. */
export function applyOrderAndPage<Q extends AnySelect>(qb: Q, query: ListQuery, alias: string): Q {
  let q: AnySelect = qb;
  if (query.orderBy) {
    q = q.orderBy(`${alias}.${query.orderBy.column}`, query.orderBy.direction).orderBy(`${alias}.guid`, query.orderBy.direction);
  } else {
    q = q.orderBy(`${alias}.id`, 'asc');
  }
  return q.limit(query.perPage).offset((query.page - 1) * query.perPage) as Q;
}

/** Counts and fetches one page of a filtered query. */
export async function fetchPage<Row>(filtered: AnySelect, query: ListQuery, alias: string): Promise<Page<Row>> {
  const [countRow, rows] = await Promise.all([
    filtered
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .executeTakeFirst(),
    applyOrderAndPage(filtered, query, alias).execute(),
  ]);
  return { rows: rows as Row[], total: Number(countRow?.total ?? 0) };
}
