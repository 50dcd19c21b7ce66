// CF's list query grammar (spec §5 and §6), written once for every CF list endpoint: paging,
// ordering, comma-list filters, timestamp filters and label selectors. Parsing yields the
// neutral ListQuery (core/list-query.ts) plus what CF's pagination links echo; validation
// failures carry CF's exact messages.
import { badQuery } from '../../../core/errors.js';
import { parseLabelSelector } from '../../../core/labels.js';
import type { ListQuery } from '../../../core/list-query.js';
import { CF_TIMESTAMP, cfSecondEnd, cfSecondStart } from '../../../core/time.js';

export type RawQuery = Record<string, string | string[] | undefined>;

export interface ListSpec {
  /** Every allowed parameter, in CF's registration order (it appears in the unknown-key message). */
  allowed: readonly string[];
  /** Parameters answered with a bare "Unknown query parameter(s)" message, no list of valid ones. */
  misplaced?: readonly string[];
  /** Columns `order_by` accepts, in the order its error message names them. */
  orderable?: readonly string[];
  /** Comma-list parameters whose elements must be integers, with the message when not. */
  integerLists?: Record<string, string>;
  maxPerPage?: number;
}

export interface CfListQuery extends ListQuery {
  /** The filter parameters as parsed, re-encoded for pagination links (spec §6). */
  echo: [string, string][];
}

const TIME_PARAMS: Record<string, { column: string; label: string }> = {
  created_ats: { column: 'created_at', label: 'Created ats' },
  updated_ats: { column: 'updated_at', label: 'Updated ats' },
};
const PAGING = new Set(['page', 'per_page', 'order_by']);

export function parseListQuery(raw: RawQuery, spec: ListSpec): CfListQuery {
  const params = lastValues(raw);
  const keys = Object.keys(params).map((k) => (/^(created_ats|updated_ats)\[/.test(k) ? k.slice(0, k.indexOf('[')) : k));

  const misplaced = (spec.misplaced ?? []).filter((k) => keys.includes(k));
  if (misplaced.length) throw badQuery(`Unknown query parameter(s): ${quoteList(misplaced)}`);
  const unknown = [...new Set(keys.filter((k) => !spec.allowed.includes(k)))];
  if (unknown.length) {
    throw badQuery(`Unknown query parameter(s): ${quoteList(unknown)}. Valid parameters are: ${quoteList(spec.allowed)}`);
  }

  const errors: string[] = [];
  const query: CfListQuery = { page: 1, perPage: 50, lists: {}, times: {}, echo: [] };
  const maxPerPage = spec.maxPerPage ?? 5000;

  if (params.page !== undefined) {
    const n = parseLeadingInt(params.page);
    if (n === undefined || n < 1) errors.push('Page must be a positive integer');
    else query.page = n;
  }
  if (params.per_page !== undefined) {
    const n = parseLeadingInt(params.per_page);
    if (n === undefined || n < 1) errors.push('Per page must be a positive integer');
    else if (n > maxPerPage) errors.push(`Per page must be between 1 and ${maxPerPage}`);
    else query.perPage = n;
  }
  if (params.order_by !== undefined) {
    const orderable = spec.orderable ?? ['created_at', 'updated_at'];
    const m = /^([+-]?)(.*)$/s.exec(params.order_by)!;
    if (!orderable.includes(m[2])) errors.push(`Order by can only be: ${quoteList(orderable)}`);
    else query.orderBy = { column: m[2], direction: m[1] === '-' ? 'desc' : 'asc' };
  }

  for (const [key, value] of Object.entries(params)) {
    const base = key.replace(/\[.*$/s, '');
    if (PAGING.has(base)) continue;
    if (TIME_PARAMS[base]) {
      parseTimeParam(key, base, value, query, errors);
    } else if (base === 'label_selector') {
      const parsed = parseLabelSelector(value);
      if ('error' in parsed) errors.push(parsed.error);
      else query.labelSelector = parsed.requirements;
      query.echo.push([key, value]);
    } else {
      const values = splitList(value);
      const intMessage = spec.integerLists?.[base];
      if (intMessage && !values.every((v) => /^-?\d+$/.test(v.trim()))) errors.push(intMessage);
      query.lists[base] = values;
      query.echo.push([key, values.map((v) => v.replace(/,/g, '%2C')).join(',')]);
    }
  }

  if (errors.length) throw badQuery(errors.join(', '));
  return query;
}

function parseTimeParam(key: string, base: string, value: string, query: CfListQuery, errors: string[]): void {
  const { column, label } = TIME_PARAMS[base];
  const filter = (query.times[column] ??= {});
  const opMatch = /^[^[]+\[(.*)\]$/s.exec(key);
  const badFormat = `${label} has an invalid timestamp format. Timestamps should be formatted as 'YYYY-MM-DDThh:mm:ssZ'`;
  query.echo.push([key, value]);
  if (!opMatch) {
    const values = splitList(value);
    if (!values.every(isCfTimestamp)) return void errors.push(badFormat);
    filter.anyOf = values.map((t) => ({ from: cfSecondStart(t), to: cfSecondEnd(t) }));
    return;
  }
  const op = opMatch[1];
  if (!['lt', 'lte', 'gt', 'gte'].includes(op)) return void errors.push(`${label} Invalid relational operator: '${op}'`);
  if (value.includes(',')) return void errors.push(`${label} only accepts one value when using a relational operator`);
  if (!isCfTimestamp(value)) return void errors.push(badFormat);
  const range = (filter.range ??= {});
  // Each bound is whole-second: `lte T` reaches to the end of T's second, `gt T` starts after it.
  if (op === 'lt') range.to = minIso(range.to, cfSecondStart(value));
  if (op === 'lte') range.to = minIso(range.to, cfSecondEnd(value));
  if (op === 'gt') range.from = maxIso(range.from, cfSecondEnd(value));
  if (op === 'gte') range.from = maxIso(range.from, cfSecondStart(value));
}

const minIso = (a: string | undefined, b: string) => (a === undefined || b < a ? b : a);
const maxIso = (a: string | undefined, b: string) => (a === undefined || b > a ? b : a);

function isCfTimestamp(t: string): boolean {
  if (!CF_TIMESTAMP.test(t)) return false;
  const ms = Date.parse(t);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === t.slice(0, 19);
}

/** Splits a comma list (a comma and any following whitespace) and unescapes each element once more. */
export function splitList(value: string): string[] {
  return value.split(/,\s*/).map((v) => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  });
}

/** Rails' lenient to_i: leading digits count (`2abc` is 2); none is not a number. */
function parseLeadingInt(value: string): number | undefined {
  const m = /^\s*([+-]?\d+)/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/** Repeated keys: the last value wins, as in Rails. */
function lastValues(raw: RawQuery): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? (v[v.length - 1] ?? '') : v;
  }
  return out;
}

const quoteList = (keys: readonly string[]) => keys.map((k) => `'${k}'`).join(', ');
