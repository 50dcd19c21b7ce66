// OAuth clients besides `cf`, as an operator configures them in UAA for scripts and CI: each has
// a secret and authorities, and may use only the client_credentials grant. They are read from a
// JSON file at start (TASKD_UAA_CLIENTS_FILE), so every node given the same file knows the same
// clients, and removing one (and restarting) ends its tokens at once (identify checks the client
// still exists on every request).
import { createHash, timingSafeEqual } from 'node:crypto';
import { GLOBAL_SCOPES, SCOPE_OPENID, SCOPE_READ, SCOPE_WRITE } from './scopes.js';

export interface UaaClient {
  clientId: string;
  secret: string;
  /** What the client may do (UAA's client authorities): its tokens' `authorities` and `scope`. */
  authorities: string[];
}

/**
 * The authorities taskd acts on, and UAA's `uaa.none` (a client with no authority at all); another
 * one is refused at start rather than silently ignored.
 */
export const CLIENT_AUTHORITIES: readonly string[] = ['uaa.none', SCOPE_OPENID, SCOPE_READ, SCOPE_WRITE, ...GLOBAL_SCOPES];

/** The cf CLI's own client: its id is taken. */
const CF_CLIENT_ID = 'cf';

/** Why a clients file is refused: the message names the entry, never a secret. */
export class UaaClientsProblem extends Error {}

/** The clients of a file's text: `[{"client_id", "client_secret", "authorities": [...]}]`. */
export function parseUaaClients(text: string): UaaClient[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UaaClientsProblem(`not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new UaaClientsProblem('must hold a JSON array of clients');
  const clients: UaaClient[] = [];
  parsed.forEach((entry: unknown, index) => {
    const where = `client ${index + 1}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new UaaClientsProblem(`${where} must be an object`);
    const { client_id: id, client_secret: secret, authorities, ...rest } = entry as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length) throw new UaaClientsProblem(`${where}: unknown field(s) ${unknown.join(', ')}`);
    if (typeof id !== 'string' || !/^[A-Za-z0-9._-]{1,255}$/.test(id))
      throw new UaaClientsProblem(`${where}: client_id must be 1 to 255 letters, digits, '.', '_' or '-'`);
    if (id === CF_CLIENT_ID) throw new UaaClientsProblem(`${where}: client_id 'cf' is the cf CLI's own client`);
    if (clients.some((c) => c.clientId === id)) throw new UaaClientsProblem(`${where}: client_id '${id}' is listed twice`);
    // A client's secret is its only credential: as long as a password, and never shown.
    if (typeof secret !== 'string' || [...secret].length < 16)
      throw new UaaClientsProblem(`client '${id}': client_secret must be a string of at least 16 characters`);
    if (!Array.isArray(authorities) || !authorities.every((a): a is string => typeof a === 'string'))
      throw new UaaClientsProblem(`client '${id}': authorities must be an array of strings`);
    const foreign = authorities.filter((a) => !CLIENT_AUTHORITIES.includes(a));
    if (foreign.length)
      throw new UaaClientsProblem(
        `client '${id}': unknown authorities ${foreign.join(', ')} (taskd knows ${CLIENT_AUTHORITIES.join(', ')})`,
      );
    clients.push({ clientId: id, secret, authorities: [...new Set(authorities)] });
  });
  return clients;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** The configured clients, looked up by id and checked by secret. */
export class UaaClients {
  private readonly byId: Map<string, UaaClient>;

  constructor(clients: readonly UaaClient[]) {
    this.byId = new Map(clients.map((c) => [c.clientId, c]));
  }

  find(clientId: string): UaaClient | undefined {
    return this.byId.get(clientId);
  }

  /**
   * The client, when the secret is its own. Compared in constant time over digests (equal lengths
   * whatever was sent), and an unknown id costs the same comparison: timing tells neither the
   * secret nor which clients exist.
   */
  authenticate(clientId: string, secret: string): UaaClient | undefined {
    const client = this.byId.get(clientId);
    const same = timingSafeEqual(digest(secret), digest(client?.secret ?? `\0unknown client ${clientId}`));
    return client && same ? client : undefined;
  }
}
