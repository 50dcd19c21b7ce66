// Every write of credentials: password hashes, token generations, and logins (token sessions,
// migration 010). A login is a refresh token family: the row holds the one refresh token id that
// may be used next; deleting the row revokes every token of the login on every node at once.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import { nowIso } from '../core/time.js';

/** Live logins one user keeps at most: the oldest beyond are ended (a script logging in forever stays bounded). */
export const MAX_SESSIONS_PER_USER = 100;

export interface NewTokenSession {
  id: string;
  userGuid: string;
  refreshJti: string;
  expiresAt: string;
}

/** Records a login; forgets the user's expired ones and ends the oldest beyond the cap. */
export async function startTokenSession(db: Kysely<Database>, session: NewTokenSession): Promise<void> {
  const now = nowIso();
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('token_sessions').where('user_guid', '=', session.userGuid).where('expires_at', '<=', now).execute();
    await trx
      .insertInto('token_sessions')
      .values({
        id: session.id,
        user_guid: session.userGuid,
        refresh_jti: session.refreshJti,
        created_at: now,
        expires_at: session.expiresAt,
      })
      .execute();
    const beyondCap = trx
      .selectFrom('token_sessions')
      .select('id')
      .where('user_guid', '=', session.userGuid)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(1_000_000)
      .offset(MAX_SESSIONS_PER_USER);
    await trx.deleteFrom('token_sessions').where('id', 'in', beyondCap).execute();
  });
}

/**
 * How long the refresh token just replaced still refreshes: parallel requests of one client (a
 * dashboard's, several CLI processes) meet an expired access token together and all refresh with
 * the same refresh token. They are answered with the login's current refresh token id, so the
 * login goes on with one current token; later, the replaced token counts as reused.
 */
export const REFRESH_REUSE_LEEWAY_MS = 10_000;

export type RotationOutcome = { rotated: true } | { concurrent: true; currentJti: string } | { reused: true } | { unknown: true };

/**
 * Moves a login on from the refresh token just used to the next one. One guarded update, so of
 * two refreshes with the same token only one rotates. A token that is neither the login's current
 * one nor the one just replaced (within the leeway) was used before, or stolen and used by someone
 * else first: the login ends ('reused').
 */
export async function rotateTokenSession(
  db: Kysely<Database>,
  session: { id: string; userGuid: string; usedJti: string; nextJti: string; expiresAt: string },
): Promise<RotationOutcome> {
  const now = nowIso();
  const updated = await db
    .updateTable('token_sessions')
    .set({ refresh_jti: session.nextJti, previous_refresh_jti: session.usedJti, rotated_at: now, expires_at: session.expiresAt })
    .where('id', '=', session.id)
    .where('user_guid', '=', session.userGuid)
    .where('refresh_jti', '=', session.usedJti)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 1) return { rotated: true };
  const row = await db
    .selectFrom('token_sessions')
    .select(['refresh_jti', 'previous_refresh_jti', 'rotated_at', 'expires_at'])
    .where('id', '=', session.id)
    .where('user_guid', '=', session.userGuid)
    .executeTakeFirst();
  if (!row || row.expires_at <= now) return { unknown: true };
  const sinceRotation = row.rotated_at === null ? Infinity : Date.parse(now) - Date.parse(row.rotated_at);
  if (row.previous_refresh_jti === session.usedJti && sinceRotation <= REFRESH_REUSE_LEEWAY_MS)
    return { concurrent: true, currentJti: row.refresh_jti };
  await db.deleteFrom('token_sessions').where('id', '=', session.id).execute();
  return { reused: true };
}

/**
 * The login a token id names: the login's own id, its current refresh token's id, or its current
 * access token's (the refresh token's id less `-r`).
 */
export async function findTokenSession(db: Kysely<Database>, tokenId: string): Promise<{ id: string; user_guid: string } | undefined> {
  return db
    .selectFrom('token_sessions')
    .select(['id', 'user_guid'])
    .where((eb) => eb.or([eb('id', '=', tokenId), eb('refresh_jti', '=', tokenId), eb('refresh_jti', '=', `${tokenId}-r`)]))
    .where('expires_at', '>', nowIso())
    .executeTakeFirst();
}

export async function endTokenSession(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('token_sessions').where('id', '=', id).execute();
}

/**
 * Sets a user's password hash; with `revokeTokens`, every token issued to them before stops
 * working, and their vSphere sessions end.
 */
export async function setPasswordHash(db: Kysely<Database>, userId: number, hash: string, revokeTokens: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const user = await trx
      .updateTable('users')
      .set({
        password_hash: hash,
        updated_at: nowIso(),
        ...(revokeTokens ? { token_generation: sql<number>`token_generation + 1` } : {}),
      })
      .where('id', '=', userId)
      .returning('guid')
      .executeTakeFirst();
    if (revokeTokens && user) await endLogins(trx, user.guid);
  });
}

/** Replaces a hash made with weaker parameters, unless the password was changed meanwhile. */
export async function upgradePasswordHash(db: Kysely<Database>, userId: number, oldHash: string, newHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: newHash }).where('id', '=', userId).where('password_hash', '=', oldHash).execute();
}

/** Revokes every token of the user (access and refresh, every login, vSphere sessions), as UAA's revoke/user does. */
export async function revokeUserTokens(db: Kysely<Database>, userGuid: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({ token_generation: sql<number>`token_generation + 1` })
      .where('guid', '=', userGuid)
      .execute();
    await endLogins(trx, userGuid);
  });
}

/** Ends every login of the user: their token sessions and their vSphere sessions. */
export async function endLogins(db: Kysely<Database>, userGuid: string): Promise<void> {
  await db.deleteFrom('token_sessions').where('user_guid', '=', userGuid).execute();
  await db.deleteFrom('vsphere_sessions').where('user_guid', '=', userGuid).execute();
}

/**
 * Forgets every expired login: those of users who log in again are forgotten then anyway, this
 * catches the users who never do (each keeps at most MAX_SESSIONS_PER_USER). Hourly, over a table
 * that small per user, a scan costs less than an index every login would write.
 */
export async function deleteExpiredTokenSessions(db: Kysely<Database>): Promise<number> {
  const result = await db.deleteFrom('token_sessions').where('expires_at', '<=', nowIso()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
