// vSphere test helpers: sessions opened the way clients open them (or stored directly where their
// opening is not what is tested), requests carrying the session header, and assertions on both
// error envelopes.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Actor, Harness, Response } from '../../support/harness.js';

export const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** Opens a /rest session for the user (admin unless given) and returns its id. */
export async function openSession(h: Harness, who?: Actor): Promise<string> {
  const username = who?.username ?? 'admin';
  const password = who ? `pw-${who.username}` : h.adminPassword;
  const res = await h.request('POST', '/rest/com/vmware/cis/session', {
    headers: { authorization: basic(username, password), 'vmware-use-header-authn': 'true' },
  });
  assert.equal(res.status, 200, res.text);
  return res.body.value;
}

/**
 * A session of the user (admin unless given) as a login opens one, stored directly without the
 * password check: for tests of what a session may do rather than how it is opened (that is
 * sessions.test.ts and session-limits.test.ts), where each first login of a user would cost a
 * full scrypt hash (~0.5 s of CPU, seconds on a loaded machine) and test nothing more. The store
 * keeps the sha-256 of the id and the times, as openSession stores them (sessions.test.ts checks it).
 */
export async function fixtureSession(h: Harness, who?: Pick<Actor, 'guid'>): Promise<string> {
  const id = randomBytes(16).toString('hex');
  const at = new Date().toISOString();
  await h.db
    .insertInto('vsphere_sessions')
    .values({
      id_hash: createHash('sha256').update(id).digest('hex'),
      user_guid: who?.guid ?? h.admin.guid,
      created_at: at,
      last_accessed_at: at,
    })
    .execute();
  return id;
}

/** A request with the session header (and a JSON body when given). */
export function call(h: Harness, method: string, url: string, session: string | undefined, body?: unknown): Promise<Response> {
  return h.request(method, url, { headers: session ? { 'vmware-api-session-id': session } : {}, body });
}

/** Asserts a /rest error: status, `type` and a message saying something about the cause. */
export function restError(res: Response, status: number, type: string, mentions?: string | RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body?.type, `com.vmware.vapi.std.errors.${type}`, res.text);
  const [message] = res.body.value.messages;
  assert.equal(typeof message.id, 'string');
  assert.ok(Array.isArray(message.args));
  if (mentions !== undefined) assert.match(message.default_message, typeof mentions === 'string' ? new RegExp(escape(mentions)) : mentions);
}

/** Asserts an /api error: status, `error_type` and a message saying something about the cause. */
export function apiError(res: Response, status: number, errorType: string, mentions?: string | RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body?.error_type, errorType, res.text);
  const [message] = res.body.messages;
  assert.equal(typeof message.id, 'string');
  assert.ok(Array.isArray(message.args));
  if (mentions !== undefined) assert.match(message.default_message, typeof mentions === 'string' ? new RegExp(escape(mentions)) : mentions);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The /rest list answer as task id -> info. */
export function restListed(res: Response): Map<string, any> {
  assert.equal(res.status, 200, res.text);
  assert.ok(Array.isArray(res.body.value), res.text);
  return new Map(res.body.value.map((e: { key: string; value: unknown }) => [e.key, e.value]));
}
