// Checking a username and password, the same for every login path (UAA's password grant, HTTP
// Basic, vSphere sessions): an unknown user costs the same hashing as a known one, so timing does
// not tell who exists; a hash made with weaker parameters than today's is made again on the spot,
// while the password is at hand (it is never kept); and a password given again within a minute,
// right or wrong, is not hashed again (verified-passwords.ts).
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../store/schema.js';
import { upgradePasswordHash } from '../store/credentials.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { recentVerdict, rememberVerdict, type PasswordSubject } from './verified-passwords.js';

/** The user, when the password is theirs; undefined for a wrong password or an unknown user alike. */
export async function authenticate(db: Kysely<Database>, username: string, password: string): Promise<UserRow | undefined> {
  const user = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  // A user without a password logs in with none: as an unknown user, whatever is given.
  const subject: PasswordSubject = user?.password_hash ? user : { unknownUsername: username };
  const remembered = recentVerdict(subject, password);
  if (remembered === false) return undefined;
  if (remembered && user) return user;
  const valid = await verifyPassword(password, user?.password_hash ?? (await decoyHash()));
  if (!user || !user.password_hash || !valid) {
    rememberVerdict(subject, password, false);
    return undefined;
  }
  if (needsRehash(user.password_hash)) {
    const upgraded = await hashPassword(password);
    await upgradePasswordHash(db, user.id, user.password_hash, upgraded);
    const current = { ...user, password_hash: upgraded };
    rememberVerdict(current, password, true);
    return current;
  }
  rememberVerdict(user, password, true);
  return user;
}

let decoy: Promise<string> | undefined;
const decoyHash = () => (decoy ??= hashPassword(randomBytes(16).toString('hex')));
