// The /api list body (specs/dialects.md §2.4): {"filter_spec": {...}, "result_spec": {...}}.
// Optional members may be absent or null (vAPI's JSON for an unset optional); anything else of
// the wrong type, or a member vSphere does not define, is named in the 400.
import { invalidArgument } from '../errors.js';
import {
  defaultResultSpec,
  emptyFilterSpec,
  MAX_FILTER_VALUES,
  RESULT_SPEC_FIELDS,
  STRING_FILTER_FIELDS,
  type DynamicId,
  type FilterSpec,
  type ResultSpec,
  type ResultSpecField,
} from './filter-spec.js';
import type { ListQueryMessage } from './list-query.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body as JSON; an empty body is no body. */
export function parseJsonBody(raw: unknown): unknown {
  // Fastify leaves a request without a body as undefined or null, depending on its headers.
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return undefined;
  if (typeof raw !== 'string') throw invalidArgument('The request body must be JSON text');
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw invalidArgument(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

function objectOf(path: string, value: unknown, members: readonly string[]): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidArgument(`${path} must be an object`);
  for (const key of Object.keys(value)) {
    if (!members.includes(key)) throw invalidArgument(`${path} has no member '${key}'; expected ${members.join(', ')}`);
  }
  return value;
}

function arrayOf<T>(path: string, value: unknown, item: (path: string, v: unknown) => T): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidArgument(`${path} must be an array`);
  if (value.length > MAX_FILTER_VALUES) throw invalidArgument(`${path} takes at most ${MAX_FILTER_VALUES} values`);
  return value.map((v, i) => item(`${path}[${i}]`, v));
}

function nonEmptyString(path: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgument(`${path} must be a string`);
  if (value === '') throw invalidArgument(`${path} must not be empty`);
  // PostgreSQL text cannot hold NUL; no name or id of taskd's contains one.
  if (value.includes('\0')) throw invalidArgument(`${path} must not contain NUL characters`);
  return value;
}

function dynamicId(path: string, value: unknown): DynamicId {
  const target = objectOf(path, value, ['type', 'id']);
  if (!target) throw invalidArgument(`${path} must be an object {type, id}`);
  return { type: nonEmptyString(`${path}.type`, target.type), id: nonEmptyString(`${path}.id`, target.id) };
}

function filterSpecOf(value: unknown): FilterSpec {
  const filter = emptyFilterSpec();
  const raw = objectOf('filter_spec', value, [...STRING_FILTER_FIELDS, 'targets']);
  if (!raw) return filter;
  for (const field of STRING_FILTER_FIELDS) filter[field] = arrayOf(`filter_spec.${field}`, raw[field], nonEmptyString);
  filter.targets = arrayOf('filter_spec.targets', raw.targets, dynamicId);
  return filter;
}

/** A GetSpec object: `result_spec` of the list body. */
export function resultSpecOf(path: string, value: unknown): ResultSpec {
  const result = defaultResultSpec();
  const raw = objectOf(path, value, Object.keys(RESULT_SPEC_FIELDS));
  if (!raw) return result;
  for (const [key, field] of Object.entries(RESULT_SPEC_FIELDS) as [ResultSpecField, keyof ResultSpec][]) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw invalidArgument(`${path}.${key} must be true or false`);
    result[field] = v;
  }
  return result;
}

export function parseListBody(raw: unknown): ListQueryMessage {
  const body = parseJsonBody(raw);
  if (body === undefined) return { filter: emptyFilterSpec(), result: defaultResultSpec() };
  if (!isObject(body)) throw invalidArgument('The request body must be a JSON object {"filter_spec": {...}, "result_spec": {...}}');
  const top = objectOf('The request body', body, ['filter_spec', 'result_spec'])!;
  return { filter: filterSpecOf(top.filter_spec), result: resultSpecOf('result_spec', top.result_spec) };
}
