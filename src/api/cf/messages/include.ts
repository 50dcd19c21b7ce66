// CF's `include=` parameter, as its IncludeParamValidator checks it: each value one of the
// resource's own, each at most once; and `embed=` (processes), which its EmbedParamValidator
// checks the same way in its own words.
import { badQuery } from '../../../core/errors.js';
import { splitList, type CfListQuery, type RawQuery } from './list-query.js';

/** `include` names included resources, `embed` embedded ones. */
type ShowParam = 'include' | 'embed';
const NOUN: Record<ShowParam, string> = { include: 'included', embed: 'embedded' };

/** The validator's messages for these values (none: valid). */
export function includeErrors(values: readonly string[], valid: readonly string[], param: ShowParam = 'include'): string[] {
  const noun = NOUN[param];
  const errors: string[] = [];
  const seen = new Map<string, number>();
  for (const v of values) {
    if (!valid.includes(v)) {
      errors.push(`Invalid ${noun} resource: '${v}'. Valid ${noun} resources are: ${valid.map((k) => `'${k}'`).join(', ')}`);
      continue;
    }
    seen.set(v, (seen.get(v) ?? 0) + 1);
    if (seen.get(v) === 2) errors.push(`Duplicate ${noun} resource: '${v}'`);
  }
  return errors;
}

/**
 * The query of a show endpoint whose only parameter is `include` (or `embed`: CC's *ShowMessage):
 * anything else, or a value the resource has not, is a 400 BadQueryParameter.
 */
export function parseShowInclude(raw: RawQuery, valid: readonly string[], param: ShowParam = 'include'): string[] {
  const unknown = Object.keys(raw).filter((k) => k !== param);
  if (unknown.length)
    throw badQuery(`Unknown query parameter(s): ${unknown.map((k) => `'${k}'`).join(', ')}. Valid parameters are: '${param}'`);
  const value = raw[param];
  if (value === undefined) return [];
  const values = splitList(Array.isArray(value) ? (value[value.length - 1] ?? '') : value);
  const errors = includeErrors(values, valid, param);
  if (errors.length) throw badQuery(errors.join(', '));
  return values;
}

/** A list's `include` (or `embed`) values, checked (the list's other parameters are parseListQuery's). */
export function listIncludes(query: CfListQuery, valid: readonly string[], param: ShowParam = 'include'): string[] {
  const values = query.lists[param] ?? [];
  const errors = includeErrors(values, valid, param);
  if (errors.length) throw badQuery(errors.join(', '));
  return values;
}
