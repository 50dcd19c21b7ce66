// HTTP Basic on every request (the Dbvisit dialect, as Dbvisit's own API takes it): a taskd
// username and password -> the user's Permissions, with the scopes a token of theirs would carry.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { ApiError } from '../core/errors.js';
import { loadPermissions } from './identify.js';
import type { Permissions } from './permissions.js';
import { authenticate } from './password-login.js';
import { tokenScopes } from './scopes.js';

export interface BasicCredentials {
  username: string;
  password: string;
}

/** The credentials of an `Authorization: Basic` header; undefined for another scheme; InvalidAuthToken when malformed. */
export function basicCredentials(header: string | undefined): BasicCredentials | undefined {
  const m = /^basic\s+(\S*)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new ApiError('InvalidAuthToken');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Throws InvalidAuthToken when the user is unknown or the password wrong (the caller cannot tell which). */
export async function identifyBasic(db: Kysely<Database>, credentials: BasicCredentials): Promise<Permissions> {
  let user = await db
    .selectFrom('users')
    .select(['guid', 'password_hash', 'scopes'])
    .where('username', '=', credentials.username)
    .executeTakeFirst();
  const verified = user !== undefined && wasVerified(verifiedKey(user, credentials.password));
  if (!verified) {
    user = await authenticate(db, credentials.username, credentials.password);
    if (!user) throw new ApiError('InvalidAuthToken');
    rememberVerified(verifiedKey(user, credentials.password));
  }
  if (!user) throw new ApiError('InvalidAuthToken');
  const permissions = await loadPermissions(db, user.guid, tokenScopes(user.scopes.split(' ').filter(Boolean)));
  if (!permissions) throw new ApiError('InvalidAuthToken');
  return permissions;
}

/**
 * Credentials that passed scrypt recently. A client sending Basic on every request would else pay
 * the deliberately slow hash (tens of milliseconds of CPU) each time. Keyed by a digest of the
 * user, their current hash and the password, so a changed password is a miss at once; failures
 * are never remembered, so guessing stays as slow as ever.
 */
const recentlyVerified = new Map<string, number>();
const VERIFIED_FOR_MS = 60_000;
const MAX_VERIFIED = 1000;

function verifiedKey(user: { guid: string; password_hash: string | null }, password: string): string {
  return createHash('sha256').update(`${user.guid}\0${user.password_hash}\0${password}`).digest('hex');
}

function rememberVerified(key: string): void {
  const now = Date.now();
  for (const [k, at] of recentlyVerified)
    if (now - at > VERIFIED_FOR_MS || recentlyVerified.size >= MAX_VERIFIED) recentlyVerified.delete(k);
  recentlyVerified.set(key, now);
}

function wasVerified(key: string): boolean {
  const at = recentlyVerified.get(key);
  return at !== undefined && Date.now() - at <= VERIFIED_FOR_MS;
}
