// Requests as a given caller in each API's own way of authenticating (CF and Astra: bearer token,
// vSphere: session header, Dbvisit: HTTP Basic), counted, with the endpoints they reached noted,
// and every answer scanned for what the caller must never see.
import type { Harness, Response } from '../../test/support/harness.js';
import { basic } from '../support/http.js';
import { foreignMarkers, type Caller, type World } from './world.js';

export type Api = 'cf' | 'astra' | 'vsphere' | 'dbvisit';

export interface Sent {
  method: string;
  url: string;
  body?: unknown;
}

/** Thrown inside a property: fast-check reports it with the seed and the counterexample. */
export class PropertyBroken extends Error {}

export class IsolationClient {
  requests = 0;
  readonly endpoints = new Set<string>();
  private readonly markers = new Map<Caller, string[]>();

  constructor(
    readonly h: Harness,
    readonly world: World,
  ) {}

  async send(api: Api, caller: Caller, endpoint: string, sent: Sent): Promise<Response> {
    this.requests++;
    this.endpoints.add(endpoint);
    const headers: Record<string, string> = {};
    if (api === 'cf' || api === 'astra') headers.authorization = `bearer ${caller.token}`;
    else if (api === 'vsphere') headers['vmware-api-session-id'] = caller.vsphereSession;
    else headers.authorization = basic(caller.username, caller.password);
    const res = await this.h.request(sent.method, sent.url, { headers, body: sent.body });
    if (res.status >= 500)
      throw new PropertyBroken(`${sent.method} ${sent.url} as ${caller.role}: ${res.status} ${res.text.slice(0, 300)}`);
    this.assertNoLeak(caller, sent, res);
    return res;
  }

  /**
   * Nothing of another tenant in the answer: none of its guids, unique names, label, annotation,
   * log or message texts, unless the request itself carried that string (a filter echoed back in
   * a pagination link is the caller's own words).
   */
  assertNoLeak(caller: Caller, sent: Sent, res: Response): void {
    let markers = this.markers.get(caller);
    if (!markers) this.markers.set(caller, (markers = foreignMarkers(this.world, caller)));
    const asked = decodeURIComponentSafe(sent.url) + (sent.body === undefined ? '' : JSON.stringify(sent.body));
    const leaked = markers.filter((m) => res.text.includes(m) && !asked.includes(m));
    if (leaked.length) {
      throw new PropertyBroken(
        `${sent.method} ${sent.url} as ${caller.role} shows another tenant's ${leaked.join(', ')}: ${res.text.slice(0, 400)}`,
      );
    }
  }
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** A link's path and query, from an absolute href of taskd's external URL. */
export function pathOf(href: string): string {
  const url = new URL(href);
  return url.pathname + url.search;
}

/** The answer with every occurrence of the ids replaced, for "same answer modulo the ids". */
export function withoutIds(res: Response, ids: readonly (string | number)[]): string {
  let text = res.text;
  for (const id of ids) {
    text =
      typeof id === 'number'
        ? text.replace(new RegExp(`\\b${id}\\b`, 'g'), '<id>')
        : text.split(id).join('<id>').split(id.toUpperCase()).join('<id>');
  }
  return text;
}

type Asked = { res: Response; id: string | number | readonly (string | number)[] };
const idsOf = (asked: Asked) => (Array.isArray(asked.id) ? asked.id : [asked.id]) as (string | number)[];

/** Asserts two answers are the same (status, content type, body) but for the ids each asked about. */
export function assertSameAnswer(what: string, hidden: Asked, stranger: Asked): void {
  const a = withoutIds(hidden.res, idsOf(hidden));
  const b = withoutIds(stranger.res, idsOf(stranger));
  const typeA = String(hidden.res.headers['content-type'] ?? '');
  const typeB = String(stranger.res.headers['content-type'] ?? '');
  if (hidden.res.status !== stranger.res.status || a !== b || typeA !== typeB) {
    throw new PropertyBroken(
      `${what}: the hidden one answers ${hidden.res.status} ${typeA} ${a.slice(0, 300)} but a random one ${stranger.res.status} ${typeB} ${b.slice(0, 300)}`,
    );
  }
}
