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
import type { MetadataChange } from '../core/metadata.js';

/** A new user: one who logs in (username and password), or an identity known by guid only. */
export interface UserInput {
  guid?: string;
  username?: string;
  password?: string;
  scopes: string[];
  metadata: MetadataChange;
}

export async function createUser(db: Kysely<Database>, actor: Permissions, input: UserInput): Promise<UserRow> {
  if (!actor.isAdmin) throw notAuthorized();
  const now = nowIso();
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  try {
    return await db.transaction().execute(async (trx) => {
      const user = await trx
        .insertInto('users')
        .values({
          guid: input.guid ?? newGuid(),
          username: input.username ?? null,
          origin: input.username ? 'uaa' : null,
          password_hash: passwordHash,
          scopes: input.scopes.join(' '),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await applyMetadataChange(trx, 'user', user.id, input.metadata);
      return user;
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw unprocessable(
      input.guid ? `User with guid '${input.guid}' already exists.` : `User with username '${input.username}' already exists.`,
    );
  }
}

/** Makes the `admin` user on first start; returns the generated password when one was made. */
export async function ensureAdminUser(
  db: Kysely<Database>,
  password: string | undefined,
): Promise<{ created: boolean; password?: string }> {
  const existing = await db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirst();
  if (existing) return { created: false };
  const chosen = password ?? newGuid().replace(/-/g, '').slice(0, 20);
  const now = nowIso();
  await db
    .insertInto('users')
    .values({
      guid: newGuid(),
      username: 'admin',
      origin: 'uaa',
      password_hash: await hashPassword(chosen),
      scopes: 'cloud_controller.admin',
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('username').doNothing())
    .execute();
  return { created: true, password: password ? undefined : chosen };
}
