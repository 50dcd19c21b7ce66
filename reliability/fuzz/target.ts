// A taskd to attack: started in this process over a real store (a fresh SQLite file, or its own
// PostgreSQL schema), listening on a real port of 127.0.0.1, with a small world in it — an org,
// a space, an app with a current droplet and a task — and credentials for every API: a CF
// bearer token (Astra and Dbvisit take it too), Dbvisit's Basic password and a vSphere session.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { Harness, type StoreKind } from '../../test/support/harness.js';
import { seedTask } from '../../test/support/tasks.js';
import { appWithCurrentDroplet } from '../../test/droplets/helpers.js';
import { basic as basicAuth } from '../support/http.js';
import { currentSigningKey, type CurrentSigningKey } from '../../test/support/signing-key.js';

export interface World {
  orgGuid: string;
  spaceGuid: string;
  appGuid: string;
  dropletGuid: string;
  taskGuid: string;
  /** The task's integer id, as the Dbvisit API names tasks. */
  taskId: number;
  userGuid: string;
  roleGuid: string;
}

export interface Credentials {
  /** A CF access token of the admin. */
  bearer: string;
  /** `Basic …` of the admin, as Dbvisit (and the vSphere session call) take it. */
  basic: string;
  /** A live vSphere session id of the admin. */
  vsphereSession: string;
}

/** Rows a refused request must not leave behind. */
export const COUNTED_TABLES = ['tasks', 'apps', 'droplets', 'organizations', 'spaces', 'roles', 'users'] as const;

export class FuzzTarget {
  readonly harness: Harness;
  port = 0;
  world!: World;
  credentials!: Credentials;

  constructor(kind: StoreKind) {
    // The runner stays on: with no runner alive a task create is a 503 by design, not what we probe.
    // Failed-login limits are off: the fuzzer's wrong passwords would lock out its own admin, as
    // they should an attacker's (test/api/rate-limits.test.ts covers that).
    this.harness = new Harness(kind, { loginFailureLimit: 0, loginFailureLimitPerAddress: 0, loginFreeFailures: 0 });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const h = this.harness;
    await h.start();
    const org = await h.org();
    const space = await h.space(org.guid);
    const { app, droplet } = await appWithCurrentDroplet(h, space.guid);
    // A finished task: reads and refused transitions without a process to run.
    const task = await seedTask(h, app.guid, { state: 'SUCCEEDED', command: 'true' });
    const user = await h.user();
    const role = await h.role('space_developer', user.guid, { space: space.guid });
    this.world = {
      orgGuid: org.guid,
      spaceGuid: space.guid,
      appGuid: app.guid,
      dropletGuid: droplet.guid,
      taskGuid: task.guid,
      taskId: task.id,
      userGuid: user.guid,
      roleGuid: role.guid,
    };
    await h.taskd.app.listen({ host: '127.0.0.1', port: 0 });
    this.port = (h.taskd.app.server.address() as AddressInfo).port;
    const basic = basicAuth('admin', h.adminPassword);
    const session = await fetch(`${this.baseUrl}/api/session`, { method: 'POST', headers: { authorization: basic } });
    if (session.status !== 201) throw new Error(`vSphere session failed: ${session.status} ${await session.text()}`);
    this.credentials = { bearer: h.admin.token, basic, vsphereSession: (await session.json()) as string };
  }

  /** Row counts of the tables a request could half-write, in one query (it runs around every write). */
  async counts(): Promise<Record<string, number>> {
    const columns = COUNTED_TABLES.map((t) => sql`(select count(*) from ${sql.table(t)}) as ${sql.ref(t)}`);
    const { rows } = await sql<Record<string, number | string>>`select ${sql.join(columns)}`.execute(this.harness.db);
    return Object.fromEntries(COUNTED_TABLES.map((t) => [t, Number(rows[0][t])]));
  }

  /**
   * A user who had a token, a vSphere session and a password, and was then removed: none of them
   * may work any longer.
   */
  async deletedUser(): Promise<{ token: string; session: string; basic: string }> {
    const actor = await this.harness.user();
    const basic = basicAuth(actor.username, `pw-${actor.username}`);
    const res = await fetch(`${this.baseUrl}/api/session`, { method: 'POST', headers: { authorization: basic } });
    if (res.status !== 201) throw new Error(`vSphere session failed: ${res.status} ${await res.text()}`);
    const session = (await res.json()) as string;
    // No API removes a user; the store is where an operator would. Their roles go with them.
    const db = this.harness.db;
    const user = await db.selectFrom('users').select('id').where('guid', '=', actor.guid).executeTakeFirstOrThrow();
    await db.deleteFrom('roles').where('user_id', '=', user.id).execute();
    await db.deleteFrom('users').where('id', '=', user.id).execute();
    return { token: actor.token, session, basic };
  }

  /** The key taskd signs tokens with (read from the store, opened with the secret key file), to forge tokens that differ in one way only. */
  signingKey(): Promise<CurrentSigningKey> {
    return currentSigningKey(this.harness.db, this.harness.config.dataDir, this.harness.config.secretKeyFile);
  }

  /** Which of the attacker's own credentials no longer work (a run that lost them tests little). */
  async lostCredentials(): Promise<string[]> {
    const ok = async (path: string, headers: Record<string, string>) =>
      (await fetch(`${this.baseUrl}${path}`, { headers, signal: AbortSignal.timeout(10_000) })).status === 200;
    const lost: string[] = [];
    if (!(await ok('/v3/organizations', { authorization: `bearer ${this.credentials.bearer}` }))) lost.push('CF bearer token');
    if (!(await ok('/api/session', { 'vmware-api-session-id': this.credentials.vsphereSession }))) lost.push('vSphere session');
    return lost;
  }

  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    await this.harness.stop();
  }
}

export const randomGuid = (): string => randomUUID();
