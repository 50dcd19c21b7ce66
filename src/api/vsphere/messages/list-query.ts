// A list's FilterSpec and ResultSpec from query parameters (specs/dialects.md §2.4): /rest's own
// encoding, also taken by taskd's GET /api/cis/tasks. Both spellings of a list are accepted, and
// may be mixed: indexed from 1 (`filter_spec.status.1=RUNNING`, VMware's docs and Postman
// samples) and repeated keys (`filter_spec.status=RUNNING&filter_spec.status=FAILED`, the
// generated SDKs and Ansible). Targets are structures and so indexed only.
import { invalidArgument } from '../errors.js';
import {
  defaultResultSpec,
  emptyFilterSpec,
  MAX_FILTER_VALUES,
  RESULT_SPEC_FIELDS,
  STRING_FILTER_FIELDS,
  type FilterSpec,
  type ResultSpec,
  type ResultSpecField,
  type StringFilterField,
} from './filter-spec.js';
import { parseBoolean, type QueryPairs } from './query-pairs.js';

const EXPECTED =
  'filter_spec.tasks, filter_spec.services, filter_spec.operations, filter_spec.status, filter_spec.users ' +
  '(repeated, or numbered from 1), filter_spec.targets.<n>.type and .id, result_spec.return_all, result_spec.exclude_result';

const STRING_KEY = new RegExp(`^filter_spec\\.(${STRING_FILTER_FIELDS.join('|')})(?:\\.([^.]*))?$`);
const TARGET_KEY = /^filter_spec\.targets\.([^.]*)\.(type|id)$/;
const RESULT_KEY = /^result_spec\.(return_all|exclude_result)$/;

/** Positions of an indexed list: 1-based decimal, as VMware's encoding numbers them. */
function parseIndex(key: string, raw: string): number {
  if (!/^[1-9]\d{0,5}$/.test(raw)) throw invalidArgument(`${key}: list positions are numbered from 1 (got '${raw}')`);
  return Number(raw);
}

export interface ListQueryMessage {
  filter: FilterSpec;
  result: ResultSpec;
}

export function parseListQuery(pairs: QueryPairs): ListQueryMessage {
  const indexed = new Map<StringFilterField, Map<number, string>>();
  const repeated = new Map<StringFilterField, string[]>();
  const targets = new Map<number, { type?: string; id?: string }>();
  const result = defaultResultSpec();
  const seenResult = new Set<ResultSpecField>();

  for (const [key, value] of pairs) {
    const str = STRING_KEY.exec(key);
    if (str) {
      const field = str[1] as StringFilterField;
      if (value === '') throw invalidArgument(`${key} must not be empty`);
      if (str[2] === undefined) {
        repeated.set(field, [...(repeated.get(field) ?? []), value]);
      } else {
        const at = parseIndex(key, str[2]);
        const positions = indexed.get(field) ?? new Map<number, string>();
        if (positions.has(at)) throw invalidArgument(`${key} is given more than once`);
        indexed.set(field, positions.set(at, value));
      }
      continue;
    }
    const target = TARGET_KEY.exec(key);
    if (target) {
      const at = parseIndex(key, target[1]);
      const part = target[2] as 'type' | 'id';
      const entry = targets.get(at) ?? {};
      if (entry[part] !== undefined) throw invalidArgument(`${key} is given more than once`);
      if (value === '') throw invalidArgument(`${key} must not be empty`);
      targets.set(at, { ...entry, [part]: value });
      continue;
    }
    const res = RESULT_KEY.exec(key);
    if (res) {
      const field = res[1] as ResultSpecField;
      if (seenResult.has(field)) throw invalidArgument(`${key} is given more than once`);
      seenResult.add(field);
      result[RESULT_SPEC_FIELDS[field]] = parseBoolean(key, value);
      continue;
    }
    if (key === 'filter_spec.targets' || key.startsWith('filter_spec.targets.')) {
      throw invalidArgument(`'${key}': targets are given as filter_spec.targets.<n>.type and filter_spec.targets.<n>.id, numbered from 1`);
    }
    throw invalidArgument(`Unknown query parameter '${key}'; expected ${EXPECTED}`);
  }

  const filter = emptyFilterSpec();
  for (const field of STRING_FILTER_FIELDS) {
    const byPosition = [...(indexed.get(field) ?? new Map<number, string>()).entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
    filter[field] = [...byPosition, ...(repeated.get(field) ?? [])];
  }
  for (const [at, target] of [...targets.entries()].sort(([a], [b]) => a - b)) {
    if (target.type === undefined || target.id === undefined) {
      throw invalidArgument(`filter_spec.targets.${at} needs both filter_spec.targets.${at}.type and filter_spec.targets.${at}.id`);
    }
    filter.targets.push({ type: target.type, id: target.id });
  }
  for (const field of [...STRING_FILTER_FIELDS, 'targets'] as const) {
    if (filter[field].length > MAX_FILTER_VALUES) throw invalidArgument(`filter_spec.${field} takes at most ${MAX_FILTER_VALUES} values`);
  }
  return { filter, result };
}
