// A small algebra over TaskQuery conditions with constant truth values, so that a filter on a
// field whose value taskd computes (a constant, a state name, a text made of columns) can be
// decided in JavaScript where it does not depend on the row, and left to SQL where it does.
import type { TaskCondition, TaskQueryField } from '../../../core/task-query.js';

/** A condition on a task, or a constant: true matches every task, false none. */
export type Cond = TaskCondition | boolean;

export function and(...conds: Cond[]): Cond {
  if (conds.includes(false)) return false;
  const rest = conds.filter((c): c is TaskCondition => c !== true);
  if (rest.length === 0) return true;
  return rest.length === 1 ? rest[0] : { op: 'and', conditions: rest };
}

export function or(...conds: Cond[]): Cond {
  if (conds.includes(true)) return true;
  const rest = conds.filter((c): c is TaskCondition => c !== false);
  if (rest.length === 0) return false;
  return rest.length === 1 ? rest[0] : { op: 'or', conditions: rest };
}

/** TaskQuery has no constants: "no task" is `id IS NULL`, which no row satisfies. */
const NOTHING: TaskCondition = { field: 'id', op: 'eq', value: null };

export function toWhere(cond: Cond): TaskCondition[] {
  if (cond === true) return [];
  return [cond === false ? NOTHING : cond];
}

/** Astra's filter operators; `in` means "contains" (specs/dialects.md §5). */
export type FilterOp = 'eq' | 'lt' | 'gt' | 'lte' | 'gte' | 'in';

/** Compares two values as SQL would: numbers numerically, text by code point. */
export function holds(left: string | number, op: FilterOp, right: string | number): boolean {
  if (op === 'in') return String(left).includes(String(right));
  const order = typeof left === 'number' && typeof right === 'number' ? left - right : left < right ? -1 : left > right ? 1 : 0;
  switch (op) {
    case 'eq':
      return order === 0;
    case 'lt':
      return order < 0;
    case 'gt':
      return order > 0;
    case 'lte':
      return order <= 0;
    case 'gte':
      return order >= 0;
  }
}

/** A column compared with a value; `in` becomes the fetcher's substring test. */
export function compare(field: TaskQueryField, op: FilterOp, value: string | number): TaskCondition {
  return op === 'in' ? { field, op: 'contains', value: String(value) } : { field, op, value };
}

export const isNull = (field: TaskQueryField): TaskCondition => ({ field, op: 'eq', value: null });
export const notNull = (field: TaskQueryField): TaskCondition => ({ field, op: 'ne', value: null });
