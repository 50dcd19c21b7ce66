// vSphere Automation sessions (specs/dialects.md §2.2, §5): opened with a taskd username and
// password, used by id, ended by DELETE, after an idle time (TASKD_VSPHERE_SESSION_IDLE_SECONDS,
// vCenter's 30 minutes by default) or at a maximum age (TASKD_VSPHERE_SESSION_MAX_AGE_SECONDS),
// whichever comes first. The id is handed out once; the store keeps only its sha-256, so
// sessions are checked by hashing what the client sends.
//
// A user holds at most TASKD_VSPHERE_SESSIONS_PER_USER live sessions. One more login is refused
// (the caller answers 429) rather than ending the oldest, as vCenter's vAPI endpoint refuses
// logins beyond its maxSessionsPerUser: ending a session silently would break whichever of the
// user's clients holds it (a long job's, say) with no word why, while the refused client is
// told, and told when a place frees up. Since sessions expire, a script that leaks them is
// locked out for one idle time at most.
//
// Using a session moves its last access on only when that is older than a minute (or a tenth
// of the idle time, if shorter): a busy client costs a write a minute, not one per request. The
// idle time is thus honoured to within that margin.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { authenticate } from '../auth/password-login.js';
import { tokenScopes } from '../auth/scopes.js';
import type { Config } from '../config.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/database.js';

export interface VsphereSessionLimits {
  idleMs: number;
  maxAgeMs: number;
  perUser: number;
}

export function vsphereSessionLimits(
  config: Pick<Config, 'vsphereSessionIdleSeconds' | 'vsphereSessionMaxAgeSeconds' | 'vsphereSessionsPerUser'>,
): VsphereSessionLimits {
  return {
    idleMs: config.vsphereSessionIdleSeconds * 1000,
    maxAgeMs: config.vsphereSessionMaxAgeSeconds * 1000,
    perUser: config.vsphereSessionsPerUser,
  };
}

export interface VsphereSession {
  userGuid: string;
  username: string;
  /** The scopes a token of this user would carry now (re-read on every use). */
  scopes: string[];
  createdAt: string;
  lastAccessedAt: string;
}

/** A login refused because the user holds every session allowed; times are epoch milliseconds. */
export interface SessionsExhausted {
  limit: number;
  /** When the first of the user's sessions expires, unless it is used or ended before. */
  retryAt: number;
}

export type OpenedSession = { id: string } | { exhausted: SessionsExhausted };

const hashOf = (id: string) => createHash('sha256').update(id).digest('hex');

/** The instants before which a session has been idle too long, or lived too long. */
function cutoffs(limits: VsphereSessionLimits, now: number) {
  return { idle: new Date(now - limits.idleMs).toISOString(), age: new Date(now - limits.maxAgeMs).toISOString() };
}

/** When a session with these times expires, in epoch milliseconds. */
function expiresAt(limits: VsphereSessionLimits, row: { created_at: string; last_accessed_at: string }): number {
  return Math.min(Date.parse(row.last_accessed_at) + limits.idleMs, Date.parse(row.created_at) + limits.maxAgeMs);
}

/**
 * Checks the credentials and opens a session; undefined when they are wrong (whichever part is),
 * `exhausted` when the user holds as many live sessions as allowed. The id is 128 random bits in
 * hex, as vCenter's own ids look.
 */
export async function openSession(
  { db, dialect }: Pick<Store, 'db' | 'dialect'>,
  limits: VsphereSessionLimits,
  username: string,
  password: string,
): Promise<OpenedSession | undefined> {
  // As every login path: an unknown user costs the same hashing, and a weaker hash is made again.
  const user = await authenticate(db, username, password);
  if (!user) return undefined;
  const id = randomBytes(16).toString('hex');
  // Counted first without a lock: a client in a loop at the limit costs one query, not a transaction.
  const full = await exhaustedSessions(db, limits, user.guid);
  if (full) return full;
  return db.transaction().execute(async (trx) => {
    // Two logins of one user at once must not both take the last place: on PostgreSQL the user's
    // row is locked for the count (SQLite runs one write transaction at a time anyway).
    const lock = trx.selectFrom('users').select('guid').where('guid', '=', user.guid);
    await (dialect === 'postgres' ? lock.forUpdate() : lock).execute();
    const now = Date.now();
    const { idle, age } = cutoffs(limits, now);
    // The user's expired sessions go now rather than at the next sweep: they hold no place.
    await trx
      .deleteFrom('vsphere_sessions')
      .where('user_guid', '=', user.guid)
      .where((eb) => eb.or([eb('last_accessed_at', '<', idle), eb('created_at', '<', age)]))
      .execute();
    const exhausted = await exhaustedSessions(trx, limits, user.guid);
    if (exhausted) return exhausted;
    const at = new Date(now).toISOString();
    await trx
      .insertInto('vsphere_sessions')
      .values({ id_hash: hashOf(id), user_guid: user.guid, created_at: at, last_accessed_at: at })
      .execute();
    return { id };
  });
}

/** `exhausted` when the user holds as many live sessions as allowed (expired ones do not count). */
async function exhaustedSessions(
  db: Kysely<Database>,
  limits: VsphereSessionLimits,
  userGuid: string,
): Promise<{ exhausted: SessionsExhausted } | undefined> {
  const { idle, age } = cutoffs(limits, Date.now());
  const live = await db
    .selectFrom('vsphere_sessions')
    .select(['created_at', 'last_accessed_at'])
    .where('user_guid', '=', userGuid)
    .where('last_accessed_at', '>=', idle)
    .where('created_at', '>=', age)
    .execute();
  if (live.length < limits.perUser) return undefined;
  return { exhausted: { limit: limits.perUser, retryAt: Math.min(...live.map((row) => expiresAt(limits, row))) } };
}

/**
 * The live session with this id; undefined when unknown, expired (idle too long or too old), or
 * its user is gone, which clients cannot tell apart. Its last access moves on now and then (see
 * above), by a guarded update, so that a session cannot be revived by a request racing its expiry.
 */
export async function useSession(db: Kysely<Database>, limits: VsphereSessionLimits, id: string): Promise<VsphereSession | undefined> {
  const now = Date.now();
  const { idle, age } = cutoffs(limits, now);
  const found = await db
    .selectFrom('vsphere_sessions')
    .innerJoin('users', 'users.guid', 'vsphere_sessions.user_guid')
    .select([
      'vsphere_sessions.user_guid',
      'vsphere_sessions.created_at',
      'vsphere_sessions.last_accessed_at',
      'users.username',
      'users.scopes',
    ])
    .where('vsphere_sessions.id_hash', '=', hashOf(id))
    .executeTakeFirst();
  if (!found || found.username === null || found.last_accessed_at < idle || found.created_at < age) return undefined;
  let lastAccessedAt = found.last_accessed_at;
  if (now - Date.parse(lastAccessedAt) >= touchEveryMs(limits)) {
    lastAccessedAt = new Date(now).toISOString();
    const touched = await db
      .updateTable('vsphere_sessions')
      .set({ last_accessed_at: lastAccessedAt })
      .where('id_hash', '=', hashOf(id))
      .where('last_accessed_at', '>=', idle)
      .executeTakeFirst();
    if (Number(touched.numUpdatedRows) === 0) return undefined;
  }
  return {
    userGuid: found.user_guid,
    username: found.username,
    scopes: tokenScopes(found.scopes.split(' ').filter(Boolean)),
    createdAt: found.created_at,
    lastAccessedAt,
  };
}

/** How stale a session's last access may be before a use writes it anew. */
function touchEveryMs(limits: VsphereSessionLimits): number {
  return Math.min(60_000, limits.idleMs / 10);
}

/** Ends the session; false when there was none with this id. */
export async function closeSession(db: Kysely<Database>, id: string): Promise<boolean> {
  const deleted = await db.deleteFrom('vsphere_sessions').where('id_hash', '=', hashOf(id)).executeTakeFirst();
  return Number(deleted.numDeletedRows) > 0;
}

/** Deletes every expired session (the maintenance loop's sweep); answers how many. */
export async function deleteExpiredSessions(db: Kysely<Database>, limits: VsphereSessionLimits): Promise<number> {
  const { idle, age } = cutoffs(limits, Date.now());
  const deleted = await db
    .deleteFrom('vsphere_sessions')
    .where((eb) => eb.or([eb('last_accessed_at', '<', idle), eb('created_at', '<', age)]))
    .executeTakeFirst();
  return Number(deleted.numDeletedRows);
}
