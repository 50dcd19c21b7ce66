// Checking a username and password, the same for every login path (UAA's password grant, HTTP
// Basic, vSphere sessions): an unknown user costs the same hashing as a known one, so timing does
// not tell who exists; a hash made with weaker parameters than today's is made again on the spot,
// while the password is at hand (it is never kept); and the right password given again within a
// minute is not hashed again (verified-passwords.ts).
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../store/schema.js';
import { upgradePasswordHash } from '../store/credentials.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { rememberVerified, verifiedRecently } from './verified-passwords.js';

/** The user, when the password is theirs; undefined for a wrong password or an unknown user alike. */
export async function authenticate(db: Kysely<Database>, username: string, password: string): Promise<UserRow | undefined> {
  const user = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  if (user?.password_hash && verifiedRecently(user, password)) return user;
  const valid = await verifyPassword(password, user?.password_hash ?? (await decoyHash()));
  if (!user || !user.password_hash || !valid) return undefined;
  if (needsRehash(user.password_hash)) {
    const upgraded = await hashPassword(password);
    await upgradePasswordHash(db, user.id, user.password_hash, upgraded);
    const current = { ...user, password_hash: upgraded };
    rememberVerified(current, password);
    return current;
  }
  rememberVerified(user, password);
  return user;
}

let decoy: Promise<string> | undefined;
const decoyHash = () => (decoy ??= hashPassword(randomBytes(16).toString('hex')));
