// The `admin` user as `taskd serve` finds it at start: made on a fresh store, its password reset
// when the operator asks (`--reset-admin-password`), or kept — and then whether the generated
// password still in the data directory logs in, so that start-up can say which password does
// rather than leave it a guess.
import { readFileSync, rmSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { PasswordPolicy } from '../auth/password-policy.js';
import { setPasswordHash } from '../store/credentials.js';
import type { Database } from '../store/schema.js';
import { adminPasswordFile, ensureAdminUser, generatedPassword, writeOwnerOnly } from './users.js';

export interface AdminAtStartOptions {
  /** The password the operator set (TASKD_ADMIN_PASSWORD or its file); none: generated when one is needed. */
  password?: string;
  /** Set the admin's password now (to `password`, else a generated one), ending its sessions. */
  reset: boolean;
  dataDir: string;
  policy: PasswordPolicy;
}

export type AdminAtStart =
  /** Made now; `passwordFile` holds its generated password (none: it has the operator's). */
  | { outcome: 'created'; passwordFile?: string }
  /** Its password was set now, as asked; `passwordFile` as for created. */
  | { outcome: 'reset'; passwordFile?: string }
  /** It was there before and keeps its password: one the operator set now is not applied. */
  | { outcome: 'kept' };

export async function settleAdminUser(db: Kysely<Database>, options: AdminAtStartOptions): Promise<AdminAtStart> {
  const existing = await db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirst();
  if (!existing) {
    const made = await ensureAdminUser(db, options.password, options);
    // Another node sharing the database made it first: its password is the one in force.
    if (made.created) return { outcome: 'created', passwordFile: made.passwordFile };
    return settleAdminUser(db, options);
  }
  const file = adminPasswordFile(options.dataDir);
  if (options.reset) {
    const chosen = options.password ?? generatedPassword(options.policy);
    await setPasswordHash(db, existing.id, await hashPassword(chosen), true);
    if (options.password !== undefined) {
      // The file would hold a password that no longer logs in.
      rmSync(file, { force: true });
      return { outcome: 'reset' };
    }
    writeOwnerOnly(file, `${chosen}\n`);
    return { outcome: 'reset', passwordFile: file };
  }
  return { outcome: 'kept' };
}

/**
 * The file holding the password generated at first start, if that password still logs in as
 * admin (nobody changed it since). A hash (about half a second of a core): not on the way to serving.
 */
export async function generatedPasswordInForce(db: Kysely<Database>, dataDir: string): Promise<string | undefined> {
  const file = adminPasswordFile(dataDir);
  const generated = readFirstLine(file);
  if (!generated) return undefined;
  const admin = await db.selectFrom('users').select('password_hash').where('username', '=', 'admin').executeTakeFirst();
  return admin && (await verifyPassword(generated, admin.password_hash)) ? file : undefined;
}

function readFirstLine(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/)[0];
  } catch {
    return undefined;
  }
}
