// Passwords that passed scrypt recently, so that a client logging in again and again with the
// right password (a vSphere client opening a session per job, Basic on every Dbvisit request, a
// script fetching a token per call) does not pay the deliberately slow hash each time: half a
// second of a core at OWASP's parameters, which a tenant in a loop would take from everyone.
// Keyed by an HMAC, under a key that lives only in this process, of the user, their current hash
// and the password, so a changed password (or a hash made again) is a miss at once; failures are
// never remembered, so guessing stays as slow as ever.
import { createHmac, randomBytes } from 'node:crypto';

const VERIFIED_FOR_MS = 60_000;
const MAX_VERIFIED = 1000;
const key = randomBytes(32);
const verifiedAt = new Map<string, number>();

function entry(user: { guid: string; password_hash: string | null }, password: string): string {
  return createHmac('sha256', key).update(`${user.guid}\0${user.password_hash}\0${password}`).digest('base64url');
}

/** Whether this user's current hash accepted this password within the last minute. */
export function verifiedRecently(user: { guid: string; password_hash: string | null }, password: string): boolean {
  const at = verifiedAt.get(entry(user, password));
  return at !== undefined && Date.now() - at <= VERIFIED_FOR_MS;
}

export function rememberVerified(user: { guid: string; password_hash: string | null }, password: string): void {
  const now = Date.now();
  for (const [k, at] of verifiedAt) if (now - at > VERIFIED_FOR_MS || verifiedAt.size >= MAX_VERIFIED) verifiedAt.delete(k);
  verifiedAt.set(entry(user, password), now);
}
