// Verdicts of scrypt on passwords checked within the last minute, so that a client giving the same
// password again and again does not pay the deliberately slow hash each time: half a second of a
// core at OWASP's parameters, which a client in a loop would take from everyone.
// - The right password again: a vSphere client opening a session per job, Basic on every Dbvisit
//   request, a script fetching a token per call.
// - The same wrong password again: a client left with an old password, retrying on every request.
//   Remembering that verdict makes no guess cheaper: a guess is a password not tried yet.
// Keyed by an HMAC, under a key that lives only in this process, of the user (or, for an unknown
// user, the name asked for), their current hash and the password, so a changed password (or a
// hash made again, or a user created) is a miss at once. Successes and failures are kept apart,
// so a flood of wrong passwords cannot push out the right ones.
import { createHmac, randomBytes } from 'node:crypto';

const REMEMBERED_FOR_MS = 60_000;
const MAX_REMEMBERED = 1000;
const key = randomBytes(32);

/** Who a password was checked for: a user with their current hash, or a name no user has. */
export type PasswordSubject = { guid: string; password_hash: string | null } | { unknownUsername: string };

class Verdicts {
  private readonly at = new Map<string, number>();

  has(entry: string): boolean {
    const at = this.at.get(entry);
    return at !== undefined && Date.now() - at <= REMEMBERED_FOR_MS;
  }

  add(entry: string): void {
    const now = Date.now();
    // Expired ones go, and the oldest while full (a Map iterates in insertion order).
    for (const [k, at] of this.at) if (now - at > REMEMBERED_FOR_MS || this.at.size >= MAX_REMEMBERED) this.at.delete(k);
    this.at.delete(entry);
    this.at.set(entry, now);
  }
}

const accepted = new Verdicts();
const refused = new Verdicts();

function entry(subject: PasswordSubject, password: string): string {
  const who = 'unknownUsername' in subject ? `unknown\0${subject.unknownUsername}` : `user\0${subject.guid}\0${subject.password_hash}`;
  return createHmac('sha256', key).update(`${who}\0${password}`).digest('base64url');
}

/** What scrypt said of this password for this subject within the last minute, if it was asked. */
export function recentVerdict(subject: PasswordSubject, password: string): boolean | undefined {
  const e = entry(subject, password);
  if (accepted.has(e)) return true;
  if (refused.has(e)) return false;
  return undefined;
}

export function rememberVerdict(subject: PasswordSubject, password: string, valid: boolean): void {
  (valid ? accepted : refused).add(entry(subject, password));
}
