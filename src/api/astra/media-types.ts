// Content negotiation (specs/dialects.md §1.2): `*/*` or no Accept → application/json; a client
// that names the resource's own media type gets it echoed; anything else is 406 problem 32.
import { AstraProblem } from './problems.js';

export const TASK_MEDIA_TYPE = 'application/astra-task+json';
/**
 * taskd's decision: Astra declares every list 200 as application/json, but a client that asks
 * for the collection's own type (as it may for a single task) gets it echoed too.
 */
export const TASK_LIST_MEDIA_TYPE = 'application/astra-tasks+json';

interface MediaRange {
  type: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = params.map((p) => /^q=([0-9.]+)$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { type, q: q === undefined ? 1 : Number(q) };
    })
    .filter((r) => r.type !== '' && r.q > 0);
}

/** The Content-Type to answer with, given the Accept header and the resource's own media type. */
export function negotiate(accept: string | string[] | undefined, ownType: string): string {
  const header = Array.isArray(accept) ? accept.join(',') : accept;
  if (header === undefined || header.trim() === '') return 'application/json';
  const ranges = parseAccept(header);
  // The resource's own type wins when named: the client asked for exactly that.
  if (ranges.some((r) => r.type === ownType)) return ownType;
  if (ranges.some((r) => r.type === '*/*' || r.type === 'application/*' || r.type === 'application/json')) return 'application/json';
  throw new AstraProblem(32);
}
