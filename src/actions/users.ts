// Creating and deleting users. taskd is its own UAA: a user made with a password can log in.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { hashPassword } from '../auth/passwords.js';
import { passwordPolicyProblem, type PasswordPolicy } from '../auth/password-policy.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import type { Database, UserRow } from '../store/schema.js';
import { applyMetadataChange, deleteMetadata } from '../store/metadata.js';
import { isUniqueViolation } from '../store/errors.js';
import { endLogins } from '../store/credentials.js';
import type { MetadataChange } from '../core/metadata.js';

/** A new user: one who logs in (username and password), or an identity known by guid only. */
export interface UserInput {
  guid?: string;
  username?: string;
  password?: string;
  scopes: string[];
  metadata: MetadataChange;
}

export async function createUser(db: Kysely<Database>, actor: Permissions, input: UserInput, policy: PasswordPolicy): Promise<UserRow> {
  if (!actor.isAdmin) throw notAuthorized();
  const problem = input.password === undefined ? undefined : passwordPolicyProblem(input.password, policy);
  if (problem) throw unprocessable(problem);
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

/**
 * Deletes a user (admins only, as CF's DELETE /v3/users/:guid): their roles, metadata and every
 * login go with the row, so their tokens and vSphere sessions stop working at once. Their tasks
 * stay, naming the user who created them, as Cloud Controller keeps them.
 */
export async function deleteUser(db: Kysely<Database>, actor: Permissions, user: UserRow): Promise<void> {
  if (!actor.isAdmin) throw notAuthorized();
  await db.transaction().execute(async (trx) => {
    await endLogins(trx, user.guid);
    await deleteMetadata(trx, 'user', [user.id]);
    await trx.deleteFrom('roles').where('user_id', '=', user.id).execute();
    await trx.deleteFrom('users').where('id', '=', user.id).execute();
  });
}

/** Where the generated admin password is written on first start: readable by taskd's user alone. */
export const adminPasswordFile = (dataDir: string) => path.join(dataDir, 'admin-password');

/**
 * Makes the `admin` user on first start. Without a chosen password one is generated and written
 * to `<dataDir>/admin-password` (0600), never to stdout, where logs would keep it; the answer
 * names the file.
 */
export async function ensureAdminUser(
  db: Kysely<Database>,
  password: string | undefined,
  options: { dataDir: string; policy: PasswordPolicy },
): Promise<{ created: boolean; passwordFile?: string }> {
  const existing = await db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirst();
  if (existing) return { created: false };
  const chosen = password ?? generatedPassword(options.policy);
  const now = nowIso();
  const inserted = await db
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
    .executeTakeFirst();
  // Another node sharing the database made it first: its password is the one in force.
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return { created: false };
  if (password) return { created: true };
  const file = adminPasswordFile(options.dataDir);
  writeOwnerOnly(file, `${chosen}\n`);
  return { created: true, passwordFile: file };
}

/** 32 base64url characters (192 random bits), or as many as the policy asks for. */
export function generatedPassword(policy: PasswordPolicy): string {
  const length = Math.min(policy.passwordMaxLength, Math.max(32, policy.passwordMinLength));
  return randomBytes(length).toString('base64url').slice(0, length);
}

/** Writes a file only its owner may read, also when one was there before with a wider mode. */
export function writeOwnerOnly(file: string, text: string): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
