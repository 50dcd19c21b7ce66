// HTTP Basic on every request (the Dbvisit dialect, as Dbvisit's own API takes it): a taskd
// username and password -> the user's Permissions, with the scopes a token of theirs would carry.
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
  const user = await authenticate(db, credentials.username, credentials.password);
  if (!user) throw new ApiError('InvalidAuthToken');
  const permissions = await loadPermissions(db, user.guid, tokenScopes(user.scopes.split(' ').filter(Boolean)));
  if (!permissions) throw new ApiError('InvalidAuthToken');
  return permissions;
}
