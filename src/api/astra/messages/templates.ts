// Filters on texts that taskd composes from literals and columns — `description` ("Task <name>
// (#<sequence_id>) of app <app name>"), `resourceURI`, `resourceCollectionURI` — turned into
// conditions on the columns, so they still run in SQL. Equality is exact: every way the value
// can split across the pieces is tried. "Contains" is exact too, except where the value begins
// or ends part-way into a column: TaskQuery has no starts-with / ends-with, so that part is
// matched as "contains" (a superset; see the report on the TaskQuery model).
import type { TaskQueryField } from '../../../core/task-query.js';
import { invalidQuery } from '../problems.js';
import { and, holds, or, type Cond, type FilterOp } from './conditions.js';

export type Piece = string | { field: TaskQueryField; numeric?: boolean };

const INTEGER = /^(0|[1-9][0-9]*)$/;

/**
 * A value that repeats the literals (" (#1) of app " many times over) splits in very many ways;
 * past this many alternatives the filter is refused rather than turned into an enormous query.
 */
const MAX_STEPS = 500;

class Budget {
  private steps = 0;
  spend(): void {
    if (++this.steps > MAX_STEPS) throw invalidQuery('filter', 'a value repeats the parts of the field too often to be matched');
  }
}

function columnEquals(piece: Exclude<Piece, string>, text: string): Cond {
  if (!piece.numeric) return { field: piece.field, op: 'eq', value: text };
  return INTEGER.test(text) ? { field: piece.field, op: 'eq', value: Number(text) } : false;
}

function columnContains(piece: Exclude<Piece, string>, text: string): Cond {
  if (text === '') return true;
  if (piece.numeric && !/^[0-9]+$/.test(text)) return false;
  return { field: piece.field, op: 'contains', value: text };
}

/**
 * `text` laid over the pieces from the start of piece k: all of it (`whole`, so the composed text
 * is exactly `text` from there on) or a prefix of the rest.
 */
function fromPiece(pieces: readonly Piece[], k: number, text: string, whole: boolean, budget: Budget): Cond {
  if (!whole && text === '') return true;
  if (k === pieces.length) return text === '';
  const piece = pieces[k];
  if (typeof piece === 'string') {
    if (text.startsWith(piece)) return fromPiece(pieces, k + 1, text.slice(piece.length), whole, budget);
    return !whole && piece.startsWith(text);
  }
  // Ends inside this column: the column starts with the text (matched as contains).
  const options: Cond[] = whole ? [] : [columnContains(piece, text)];
  for (let j = 0; j <= text.length; j++) {
    if (!whole && j === text.length) break;
    const rest = fromPiece(pieces, k + 1, text.slice(j), whole, budget);
    if (rest === false) continue;
    budget.spend();
    options.push(and(columnEquals(piece, text.slice(0, j)), rest));
  }
  return or(...options);
}

export function templateEquals(pieces: readonly Piece[], value: string): Cond {
  return fromPiece(pieces, 0, value, true, new Budget());
}

export function templateContains(pieces: readonly Piece[], value: string): Cond {
  const budget = new Budget();
  const options: Cond[] = [];
  pieces.forEach((piece, i) => {
    if (typeof piece === 'string') {
      if (piece.includes(value)) options.push(true);
      // Starts inside this literal (at its start, or part-way) and runs on past its end.
      for (let o = 0; o < piece.length; o++) {
        const tail = piece.slice(o);
        if (value.length > tail.length && value.startsWith(tail))
          options.push(fromPiece(pieces, i + 1, value.slice(tail.length), false, budget));
      }
      return;
    }
    options.push(columnContains(piece, value));
    // Starts inside this column (it ends with value[0, j), matched as contains) and runs on.
    for (let j = 1; j < value.length; j++) {
      const rest = fromPiece(pieces, i + 1, value.slice(j), false, budget);
      if (rest === false) continue;
      budget.spend();
      options.push(and(columnContains(piece, value.slice(0, j)), rest));
    }
  });
  return or(...options);
}

/**
 * Ordered comparison of `<literal><column>` with a value: decided by the literal where the value
 * leaves it, else by the column against the rest of the value.
 */
export function prefixedCompare(prefix: string, field: TaskQueryField, op: Exclude<FilterOp, 'in'>, value: string): Cond {
  if (value.startsWith(prefix)) return { field, op, value: value.slice(prefix.length) };
  let k = 0;
  while (k < value.length && prefix[k] === value[k]) k++;
  // The value is a proper prefix of the literal (so shorter than any composed text), or they differ at k.
  return k === value.length ? holds(prefix, op, value) : holds(prefix.slice(0, k + 1), op, value.slice(0, k + 1));
}
