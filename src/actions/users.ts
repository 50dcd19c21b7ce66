// Creating users. taskd is its own UAA: a user made with a password can log in.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { hashPassword } from '../auth/passwords.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import type { Database, UserRow } from '../store/schema.js';
import { applyMetadataChange } from '../store/metadata.js';
import { isUniqueViolation } from '../store/errors.js';
import type { UserCreateMessage } from '../api/cf/messages/user.js';

export async function createUser(db: Kysely<Database>, actor: Permissions, msg: UserCreateMessage): Promise<UserRow> {
  if (!actor.isAdmin) throw notAuthorized();
  const now = nowIso();
  const passwordHash = msg.password === undefined ? null : await hashPassword(msg.password);
  try {
    return await db.transaction().execute(async (trx) => {
      const user = await trx
        .insertInto('users')
        .values({
          guid: msg.guid ?? newGuid(),
          username: msg.username ?? null,
          origin: msg.username ? 'uaa' : null,
          password_hash: passwordHash,
          scopes: msg.scopes.join(' '),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await applyMetadataChange(trx, 'user', user.id, msg.metadata);
      return user;
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw unprocessable(msg.guid ? `User with guid '${msg.guid}' already exists.` : `User with username '${msg.username}' already exists.`);
  }
}

/** Makes the `admin` user on first start; returns the generated password when one was made. */
export async function ensureAdminUser(db: Kysely<Database>, password: string | undefined): Promise<{ created: boolean; password?: string }> {
  const existing = await db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirst();
  if (existing) return { created: false };
  const chosen = password ?? newGuid().replace(/-/g, '').slice(0, 20);
  const now = nowIso();
  await db
    .insertInto('users')
    .values({ guid: newGuid(), username: 'admin', origin: 'uaa', password_hash: await hashPassword(chosen), scopes: 'cloud_controller.admin', created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('username').doNothing())
    .execute();
  return { created: true, password: password ? undefined : chosen };
}
