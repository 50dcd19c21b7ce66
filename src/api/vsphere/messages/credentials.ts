// HTTP Basic credentials of a session create (specs/dialects.md §2.2).
import { unauthenticated } from '../errors.js';

export interface Credentials {
  username: string;
  password: string;
}

export function parseBasicCredentials(authorization: string | undefined): Credentials {
  const m = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization ?? '');
  if (!m) throw unauthenticated('Creating a session needs HTTP Basic credentials (Authorization: Basic <base64 of user:password>)');
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw unauthenticated('The Basic credentials must be <user>:<password>');
  // No taskd user has NUL in their name (PostgreSQL text cannot hold one).
  if (decoded.slice(0, colon).includes('\0')) throw unauthenticated('Invalid user name or password');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
