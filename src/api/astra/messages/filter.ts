// Astra's `filter` grammar (specs/dialects.md §1.6): `<path> <op> '<value>'`, several joined by
// commas. Values are quoted and cannot hold a quote, so a comma inside quotes is part of the value.
import { invalidQuery } from '../problems.js';
import type { FilterOp } from './conditions.js';

export interface FilterClause {
  /** Dotted path with `[*]` array markers dropped: `metadata.labels[*].name` → `metadata.labels.name`. */
  path: string;
  op: FilterOp;
  value: string;
}

const CLAUSE = /^\s*([0-9a-zA-Z]+(?:\[\*\])?(?:\.[0-9a-zA-Z]+(?:\[\*\])?)*)\s+(eq|lt|gt|lte|gte|in)\s+'([^']*)'\s*$/;
/**
 * Astra's pattern allows letters, digits, space, `. , : @ { } "` and ASCII `,` through `_`. taskd
 * takes any printable character but the quote: its own descriptions hold `(#…)`, which that
 * pattern could never match.
 */
const VALUE = /^[^\p{Cc}']+$/u;
/** Astra's longest text fields (URIs) hold 4095 characters; a longer value is no filter on a task. */
const MAX_VALUE = 4095;

/** Splits at commas outside quotes. */
function clauses(filter: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < filter.length; i++) {
    if (filter[i] === "'") quoted = !quoted;
    else if (filter[i] === ',' && !quoted) {
      out.push(filter.slice(start, i));
      start = i + 1;
    }
  }
  out.push(filter.slice(start));
  return out;
}

export function parseFilter(filter: string): FilterClause[] {
  return clauses(filter).map((text) => {
    const m = CLAUSE.exec(text);
    if (!m) throw invalidQuery('filter', `'${text.trim()}' is not of the form <field> <eq|lt|gt|lte|gte|in> '<value>'`);
    const [, path, op, value] = m;
    if (!VALUE.test(value)) throw invalidQuery('filter', `'${value}' is empty or holds a character a filter value cannot`);
    if (value.length > MAX_VALUE) throw invalidQuery('filter', `a value is at most ${MAX_VALUE} characters long`);
    return { path: path.replace(/\[\*\]/g, ''), op: op as FilterOp, value };
  });
}
