// vSphere Automation sessions (specs/dialects.md §2.2, §5): opened with a taskd username and
// password, used by id, ended by DELETE or after 30 idle minutes. The id is handed out once; the
// store keeps only its sha-256, so sessions are checked by hashing what the client sends.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { verifyPassword } from '../auth/passwords.js';
import { tokenScopes } from '../auth/scopes.js';
import { nowIso } from '../core/time.js';
import type { Database } from '../store/schema.js';

export const SESSION_IDLE_MS = 30 * 60 * 1000;

export interface VsphereSession {
  userGuid: string;
  username: string;
  /** The scopes a token of this user would carry now (re-read on every use). */
  scopes: string[];
  createdAt: string;
  lastAccessedAt: string;
}

const hashOf = (id: string) => createHash('sha256').update(id).digest('hex');
const idleCutoff = () => new Date(Date.now() - SESSION_IDLE_MS).toISOString();

/**
 * Checks the credentials and opens a session; undefined when they are wrong (whichever part is).
 * The id is 128 random bits in hex, as vCenter's own ids look.
 */
export async function openSession(db: Kysely<Database>, username: string, password: string): Promise<{ id: string } | undefined> {
  const user = await db.selectFrom('users').select(['guid', 'password_hash']).where('username', '=', username).executeTakeFirst();
  if (!user || !(await verifyPassword(password, user.password_hash))) return undefined;
  const id = randomBytes(16).toString('hex');
  const now = nowIso();
  // Sessions left idle are swept here, so the table holds only live ones plus a few stragglers.
  await db.deleteFrom('vsphere_sessions').where('last_accessed_at', '<', idleCutoff()).execute();
  await db
    .insertInto('vsphere_sessions')
    .values({ id_hash: hashOf(id), user_guid: user.guid, created_at: now, last_accessed_at: now })
    .execute();
  return { id };
}

/**
 * The live session with this id, touched (its idle time starts again); undefined when unknown,
 * idle too long, or its user is gone. Checking and touching is one guarded update, so a session
 * cannot be revived by a request racing its expiry.
 */
export async function useSession(db: Kysely<Database>, id: string): Promise<VsphereSession | undefined> {
  const touched = await db
    .updateTable('vsphere_sessions')
    .set({ last_accessed_at: nowIso() })
    .where('id_hash', '=', hashOf(id))
    .where('last_accessed_at', '>=', idleCutoff())
    .returning(['user_guid', 'created_at', 'last_accessed_at'])
    .executeTakeFirst();
  if (!touched) return undefined;
  const user = await db.selectFrom('users').select(['username', 'scopes']).where('guid', '=', touched.user_guid).executeTakeFirst();
  if (!user || user.username === null) {
    await closeSession(db, id);
    return undefined;
  }
  return {
    userGuid: touched.user_guid,
    username: user.username,
    scopes: tokenScopes(user.scopes.split(' ').filter(Boolean)),
    createdAt: touched.created_at,
    lastAccessedAt: touched.last_accessed_at,
  };
}

/** Ends the session; false when there was none with this id. */
export async function closeSession(db: Kysely<Database>, id: string): Promise<boolean> {
  const deleted = await db.deleteFrom('vsphere_sessions').where('id_hash', '=', hashOf(id)).executeTakeFirst();
  return Number(deleted.numDeletedRows) > 0;
}
