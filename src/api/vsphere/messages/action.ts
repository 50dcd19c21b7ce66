// The operation an `action` query parameter picks on a POST (or DELETE) path. /rest URLs spell it
// `~action` (session get) or `action` (task cancel) in VMware's own documents, so /rest takes
// both everywhere (specs/dialects.md §2.1); /api only `action`.
import { invalidArgument } from '../errors.js';
import type { QueryPairs } from './query-pairs.js';

/** The action named (undefined: none given); any other query parameter or action value fails. */
export function parseAction<A extends string>(pairs: QueryPairs, wire: 'rest' | 'api', allowed: readonly A[]): A | undefined {
  const keys = wire === 'rest' ? ['action', '~action'] : ['action'];
  let action: string | undefined;
  for (const [key, value] of pairs) {
    if (!keys.includes(key)) throw invalidArgument(`Unknown query parameter '${key}'; this operation takes only ${keys.join(' or ')}`);
    if (action !== undefined && action !== value) throw invalidArgument(`Conflicting actions '${action}' and '${value}'`);
    action = value;
  }
  if (action !== undefined && !(allowed as readonly string[]).includes(action)) {
    throw invalidArgument(`Unknown action '${action}'; expected ${allowed.length ? allowed.join(' or ') : 'none'}`);
  }
  return action as A | undefined;
}
