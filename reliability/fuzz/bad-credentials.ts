// Credentials that must not open anything: forged, expired, malformed, truncated and misnamed
// tokens, tokens of a removed user, and the vSphere and Dbvisit equivalents (unknown sessions,
// wrong passwords). Each is the real thing changed in one way, so a 401 means that one change
// was noticed.
import { createPublicKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, base64url } from 'jose';
import type { CurrentSigningKey } from '../../test/support/signing-key.js';
import type { Credential } from './routes.js';
import type { FuzzTarget } from './target.js';

export interface BadCredential {
  kind: string;
  /** Which credential it stands in for. */
  credential: Credential;
  /** The headers it travels in; none at all for `missing`. */
  headers: [string, string][];
  /** Whether the answer is "no credentials" (CF NotAuthenticated, Astra problem 3) rather than "bad ones". */
  missing: boolean;
}

const bearer = (kind: string, token: string): BadCredential => ({
  kind,
  credential: 'bearer',
  headers: [['authorization', `bearer ${token}`]],
  missing: false,
});
const basicHeader = (userPass: string) => `Basic ${Buffer.from(userPass).toString('base64')}`;

async function signed(
  key: { kid: string; privateKey: KeyObject | Uint8Array },
  claims: Record<string, unknown>,
  options: { alg?: string; exp?: number; iss?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ token_use: 'access', client_id: 'cf', ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'RS256', typ: 'JWT', kid: key.kid })
    .setSubject(String(claims.user_id))
    .setIssuer(options.iss ?? 'taskd')
    .setJti(randomUUID())
    .setIssuedAt(now - 7200)
    .setExpirationTime(options.exp ?? now + 3600)
    .sign(key.privateKey);
}

function publicKeyAsHmacSecret(key: CurrentSigningKey): { kid: string; privateKey: Uint8Array } {
  const pem = createPublicKey(key.privateKey).export({ format: 'pem', type: 'spki' }).toString();
  return { kid: key.kid, privateKey: new TextEncoder().encode(pem) };
}

/** Every bad credential, ready to send. `quick` keeps a few of each credential. */
export async function badCredentials(target: FuzzTarget, quick: boolean): Promise<BadCredential[]> {
  const key = await target.signingKey();
  const admin = { user_id: target.harness.admin.guid, user_name: 'admin', scope: ['cloud_controller.admin'] };
  const valid = target.credentials.bearer;
  const [header, payload] = valid.split('.');
  const deleted = await target.deletedUser();
  const now = Math.floor(Date.now() / 1000);
  const refresh = await signed(key, { ...admin, token_use: 'refresh' });

  const tokens: BadCredential[] = [
    { kind: 'missing', credential: 'bearer', headers: [], missing: true },
    bearer('expired', await signed(key, admin, { exp: now - 60 })),
    bearer('malformed', 'not-a-jwt'),
    bearer('deleted-user', deleted.token),
    bearer('alg-none', `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`),
  ];
  const moreTokens: BadCredential[] = [
    // The right kid, another key.
    bearer(
      'wrong-signature',
      await signed({ kid: key.kid, privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }, admin),
    ),
    bearer('alg-rs512-same-key', await signed(key, admin, { alg: 'RS512' })),
    // Algorithm confusion: an HMAC keyed with the public key (anyone may read it at /token_keys).
    bearer('alg-hs256-public-key', await signed(publicKeyAsHmacSecret(key), admin, { alg: 'HS256' })),
    bearer('wrong-issuer', await signed(key, admin, { iss: 'evil' })),
    bearer('refresh-as-access', refresh),
    bearer('truncated', valid.slice(0, -6)),
    bearer('header-only', `${header}.`),
    bearer(
      'garbage-base64',
      `${base64url.encode(randomBytes(24))}.${base64url.encode(randomBytes(48))}.${base64url.encode(randomBytes(32))}`,
    ),
    bearer('huge', 'a'.repeat(8000)),
    { kind: 'empty-bearer', credential: 'bearer', headers: [['authorization', 'Bearer ']], missing: false },
    { kind: 'wrong-scheme', credential: 'bearer', headers: [['authorization', `Token ${valid}`]], missing: false },
  ];
  const sessions: BadCredential[] = [
    { kind: 'missing', credential: 'vsphereSession', headers: [], missing: true },
    {
      kind: 'unknown-session',
      credential: 'vsphereSession',
      headers: [['vmware-api-session-id', randomBytes(16).toString('hex')]],
      missing: false,
    },
    { kind: 'deleted-user-session', credential: 'vsphereSession', headers: [['vmware-api-session-id', deleted.session]], missing: false },
  ];
  const moreSessions: BadCredential[] = [
    { kind: 'bearer-as-session', credential: 'vsphereSession', headers: [['vmware-api-session-id', valid]], missing: false },
    { kind: 'sql-session', credential: 'vsphereSession', headers: [['vmware-api-session-id', "' OR 1=1 --"]], missing: false },
    {
      kind: 'truncated-session',
      credential: 'vsphereSession',
      headers: [['vmware-api-session-id', target.credentials.vsphereSession.slice(0, -4)]],
      missing: false,
    },
    {
      kind: 'session-in-cookie-unknown',
      credential: 'vsphereSession',
      headers: [['cookie', `vmware-api-session-id=${randomUUID()}`]],
      missing: false,
    },
  ];
  const basics: BadCredential[] = [
    { kind: 'missing', credential: 'basic', headers: [], missing: true },
    { kind: 'wrong-password', credential: 'basic', headers: [['authorization', basicHeader('admin:wrong-password')]], missing: false },
    { kind: 'deleted-user-basic', credential: 'basic', headers: [['authorization', deleted.basic]], missing: false },
  ];
  const moreBasics: BadCredential[] = [
    { kind: 'unknown-user', credential: 'basic', headers: [['authorization', basicHeader(`nobody-${randomUUID()}:pw`)]], missing: false },
    { kind: 'no-colon', credential: 'basic', headers: [['authorization', basicHeader('admin')]], missing: false },
    { kind: 'not-base64', credential: 'basic', headers: [['authorization', 'Basic !!!$$$']], missing: false },
    { kind: 'empty-basic', credential: 'basic', headers: [['authorization', 'Basic ']], missing: false },
    { kind: 'sql-user', credential: 'basic', headers: [['authorization', basicHeader("admin' --:x")]], missing: false },
  ];
  return quick ? [...tokens, ...sessions, ...basics] : [...tokens, ...moreTokens, ...sessions, ...moreSessions, ...basics, ...moreBasics];
}
