// Calling the Dbvisit dialect as its clients do: POST with {"params":…}, HTTP Basic or Bearer.
import assert from 'node:assert/strict';
import type { Config } from '../../../src/config.js';
import type { Actor, Harness, Response } from '../../support/harness.js';

/**
 * For suites that read seeded task rows: no runner on the node, which would otherwise claim a
 * seeded PENDING task (and fail it, its app having no droplet) while a test looks at it.
 */
export const SEEDED_ONLY: Partial<Config> = { runnerSlots: 0 };

export const basicAuth = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** The Basic header of a user made by Harness.user() (password `pw-<username>`). */
export const basicOf = (actor: Actor) => basicAuth(actor.username, `pw-${actor.username}`);

/** POSTs `{"params": params}` (or `body` as given) with the Authorization header. */
export function dbvisit(h: Harness, path: string, authorization: string | undefined, body: unknown = {}): Promise<Response> {
  return h.request('POST', path, { body, headers: authorization ? { authorization } : {} });
}

export const adminBasic = (h: Harness) => basicAuth('admin', h.adminPassword);

/**
 * The Bearer header of a user's CF access token, the other way Dbvisit clients authenticate: for
 * tests of what a call does rather than how it is authenticated (wire.test.ts tests Basic), as
 * the first Basic call of each user costs a full scrypt hash (~0.5 s of CPU).
 */
export const bearerOf = (actor: Pick<Actor, 'token'>) => `Bearer ${actor.token}`;

export const adminBearer = (h: Harness) => bearerOf(h.admin);

/** Every task the caller may list (show_hidden as given), asserting the success envelope. */
export async function listTasks(h: Harness, authorization: string, params: Record<string, unknown> = {}): Promise<any[]> {
  const res = await dbvisit(h, '/task/list', authorization, { params });
  assertSuccess(res);
  return res.body.result.tasks;
}

export function assertSuccess(res: Response): void {
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.successful, true, res.text);
  assert.ok(!('error' in res.body), 'a success has no error');
  assert.ok(res.body.result !== undefined, 'a success has a result');
}

/** Dbvisit's error envelope: the status, successful false, a message (exact when given), no result. */
export function assertDbvisitError(res: Response, status: number, message?: string | RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(Object.keys(res.body ?? {}).sort(), ['error', 'successful'], res.text);
  assert.equal(res.body.successful, false);
  assert.equal(typeof res.body.error.message, 'string');
  assert.ok(res.body.error.message.length > 0, 'the message says something');
  if (typeof message === 'string') assert.equal(res.body.error.message, message);
  else if (message) assert.match(res.body.error.message, message);
  assert.match(String(res.headers['content-type']), /^application\/json/);
}

/** RFC 3339 UTC with nanoseconds, as Dbvisit writes times. */
export const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;

/** The app's integer id (Dbvisit's configuration_id). */
export async function appId(h: Harness, appGuid: string): Promise<number> {
  const row = await h.db.selectFrom('apps').select('id').where('guid', '=', appGuid).executeTakeFirstOrThrow();
  return Number(row.id);
}
