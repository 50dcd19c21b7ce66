// The get spec of GET .../cis/tasks/{task} (specs/dialects.md §2.4): /rest spells it
// `spec.return_all` / `spec.exclude_result`; /api takes the flattened `return_all` /
// `exclude_result` and also the `spec.` spelling.
import { defaultResultSpec, type ResultSpec } from './filter-spec.js';
import { parseBooleanParams, type QueryPairs } from './query-pairs.js';

const REST_NAMES = { 'spec.return_all': 'returnAll', 'spec.exclude_result': 'excludeResult' } as const;
const API_NAMES = { ...REST_NAMES, return_all: 'returnAll', exclude_result: 'excludeResult' } as const;

export function parseGetSpec(pairs: QueryPairs, wire: 'rest' | 'api'): ResultSpec {
  const names: Record<string, keyof ResultSpec> = wire === 'rest' ? REST_NAMES : API_NAMES;
  const given = parseBooleanParams(pairs, names, Object.keys(names).join(', '));
  return { ...defaultResultSpec(), ...given };
}
