// CF's `include=` parameter, as its IncludeParamValidator checks it: each value one of the
// resource's own, each at most once.
import { badQuery } from '../../../core/errors.js';
import { splitList, type CfListQuery, type RawQuery } from './list-query.js';

/** The validator's messages for these values (none: valid). */
export function includeErrors(values: readonly string[], valid: readonly string[]): string[] {
  const errors: string[] = [];
  const seen = new Map<string, number>();
  for (const v of values) {
    if (!valid.includes(v)) {
      errors.push(`Invalid included resource: '${v}'. Valid included resources are: ${valid.map((k) => `'${k}'`).join(', ')}`);
      continue;
    }
    seen.set(v, (seen.get(v) ?? 0) + 1);
    if (seen.get(v) === 2) errors.push(`Duplicate included resource: '${v}'`);
  }
  return errors;
}

/**
 * The query of a show endpoint whose only parameter is `include` (CC's *ShowMessage): anything
 * else, or an include the resource has not, is a 400 BadQueryParameter.
 */
export function parseShowInclude(raw: RawQuery, valid: readonly string[]): string[] {
  const unknown = Object.keys(raw).filter((k) => k !== 'include');
  if (unknown.length)
    throw badQuery(`Unknown query parameter(s): ${unknown.map((k) => `'${k}'`).join(', ')}. Valid parameters are: 'include'`);
  const value = raw.include;
  if (value === undefined) return [];
  const values = splitList(Array.isArray(value) ? (value[value.length - 1] ?? '') : value);
  const errors = includeErrors(values, valid);
  if (errors.length) throw badQuery(errors.join(', '));
  return values;
}

/** A list's `include` values, checked (the list's other parameters are parseListQuery's). */
export function listIncludes(query: CfListQuery, valid: readonly string[]): string[] {
  const values = query.lists.include ?? [];
  const errors = includeErrors(values, valid);
  if (errors.length) throw badQuery(errors.join(', '));
  return values;
}
