// Signed JWTs (RS256, as UAA signs them). Every token names its key (`kid`); the keys, their
// rotation and their encryption at rest are signing-keys.ts's. Every taskd node sharing a database
// accepts the same tokens (given the same secret key file).
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors, type JWTHeaderParameters } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { SigningKeys } from './signing-keys.js';
import { UaaClients, type UaaClient } from './uaa-clients.js';

export interface AccessClaims {
  userGuid: string;
  username: string | null;
  /** The user's identity provider (UAA's `origin`); `uaa` for taskd's own users. */
  origin?: string | null;
  /** How the token was asked for (UAA's `grant_type` claim): `password` by default. */
  grantType?: 'password' | 'refresh_token';
  scopes: string[];
  /** The user's token generation at issue (claim `gen`): a token of an older one is revoked. */
  generation?: number;
  /** The login the token belongs to (claim `sid`, OIDC's session id): its refresh token family. */
  sessionId?: string;
}

export interface TokenPair {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
  jti: string;
}

/** A client token's answer: UAA issues no refresh token for client_credentials. */
export type ClientTokenResponse = Omit<TokenPair, 'refresh_token'>;

/**
 * The issuer taskd's tokens carried before they named a URL. Still accepted: tokens issued before
 * an upgrade, and by an older node during a rolling one, keep working until they expire. (The
 * other way round cannot be helped: an older node accepts only this issuer.)
 */
export const LEGACY_ISSUER = 'taskd';

/** UAA's issuer: its token endpoint (`<base URL>/oauth/token`), which OIDC discovery states too. */
export const issuerAt = (baseUrl: string): string => `${baseUrl}/oauth/token`;

/**
 * Whether a token's `iss` is one taskd issues: the legacy name, or an http(s) URL of a token
 * endpoint. Any such URL, not one fixed URL: without TASKD_EXTERNAL_URL the base comes from the
 * request, so nodes reached by different names (or one client sending another Host) issue
 * different ones. That gives a client no power: only taskd's signing keys make a token (checked
 * first), the issuer changes nothing of what a token may do, and a relying party that pins the
 * issuer finds taskd's keys only at the URL it trusts. Checking it against this request's Host
 * would let that attacker-chosen header decide which tokens are good.
 */
export function isAcceptedIssuer(iss: unknown): boolean {
  if (iss === LEGACY_ISSUER) return true;
  if (typeof iss !== 'string' || !iss.endsWith('/oauth/token')) return false;
  try {
    const url = new URL(iss);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

/** The OAuth client every login of taskd's users is made through, as the cf CLI's is in UAA. */
const CLIENT_ID = 'cf';
/** UAA's identity zone: taskd has one, UAA's default. */
const ZONE_ID = 'uaa';

/**
 * UAA's audience: each scope's resource (the scope up to its last dot: `cloud_controller` of
 * `cloud_controller.read`, `openid` of `openid`) and the client, once each.
 */
export function audienceOf(scopes: readonly string[], clientId: string): string[] {
  return [...new Set([...scopes.map((s) => (s.includes('.') ? s.slice(0, s.lastIndexOf('.')) : s)), clientId])];
}

/**
 * A verified token. A client's token (client_credentials) has `clientId`, and its `userGuid` is the
 * client id, as Cloud Controller takes a client token's user guid.
 */
type VerifiedClaims = AccessClaims & { clientId?: string; jti?: string; payload: Record<string, unknown> };

/** A refresh token's id: its access token's (the pair's `jti`) with `-r`. */
export const refreshTokenId = (accessJti: string): string => `${accessJti}-r`;

/** What a task token is made from. */
export interface TaskTokenSubject {
  guid: string;
  appGuid: string;
  /** The user the task acts as (its creator). */
  createdBy: string | null;
  timeoutSeconds: number | null;
}

/** What a token made for a client (no user) says of it, as UAA's client tokens do. */
function clientTokenClaims(clientId: string, scopes: readonly string[]) {
  return {
    scope: scopes,
    client_id: clientId,
    cid: clientId,
    azp: clientId,
    zid: ZONE_ID,
    aud: audienceOf(scopes, clientId),
  };
}

/** A task without a timeout may run for days, but its token need not outlive one. */
const TASK_TOKEN_SECONDS = 24 * 3600;

/** How many verified tokens are remembered; a client reuses its token for many requests. */
const VERIFIED_CACHE_SIZE = 10_000;

export class TokenService {
  /** Verified tokens until they expire: checking a signature again would give the same answer. */
  private readonly verified = new Map<string, { claims: VerifiedClaims; expiresAtMs: number }>();

  private constructor(
    readonly keys: SigningKeys,
    private readonly accessSeconds: number,
    private readonly refreshSeconds: number,
    private readonly defaultIssuer: string,
    /** The OAuth clients besides `cf`: who may get a client token, and whose tokens are still honoured. */
    readonly clients: UaaClients,
  ) {}

  /**
   * `externalUrl` (TASKD_EXTERNAL_URL) names the issuer of tokens made with no request at hand (a
   * task's own token); without it those carry the legacy issuer.
   */
  static async open(
    _db: Kysely<Database>,
    keys: SigningKeys,
    accessSeconds: number,
    refreshSeconds: number,
    options: { externalUrl?: string; clients?: readonly UaaClient[] } = {},
  ): Promise<TokenService> {
    const defaultIssuer = options.externalUrl === undefined ? LEGACY_ISSUER : issuerAt(options.externalUrl);
    return new TokenService(keys, accessSeconds, refreshSeconds, defaultIssuer, new UaaClients(options.clients ?? []));
  }

  /**
   * An access and refresh token pair. `ids` names them when the caller has recorded them already
   * (a login's rotation); by default the access token's id is new and the refresh token's is
   * refreshTokenId of it. `issuer` is the token endpoint the login was made at (issuerAt).
   */
  async issue(claims: AccessClaims, ids: { jti?: string; refreshJti?: string; issuer?: string } = {}): Promise<TokenPair> {
    const jti = ids.jti ?? randomUUID();
    // Claims as UAA puts them in a user's tokens: clients read them (the cf CLI takes the user's
    // name and origin from the access token, and fails on a token with a user_name and no origin).
    // A user without a name has no user_name (nor email), as UAA's users always have one.
    const common = {
      user_id: claims.userGuid,
      ...(claims.username === null ? {} : { user_name: claims.username, email: claims.username }),
      origin: claims.origin ?? 'uaa',
      scope: claims.scopes,
      client_id: CLIENT_ID,
      cid: CLIENT_ID,
      azp: CLIENT_ID,
      grant_type: claims.grantType ?? 'password',
      zid: ZONE_ID,
      aud: audienceOf(claims.scopes, CLIENT_ID),
      ...(claims.generation === undefined ? {} : { gen: claims.generation }),
      ...(claims.sessionId === undefined ? {} : { sid: claims.sessionId }),
    };
    const access = await this.sign({ ...common, token_use: 'access' }, jti, this.accessSeconds, ids.issuer);
    const refresh = await this.sign(
      { ...common, token_use: 'refresh' },
      ids.refreshJti ?? refreshTokenId(jti),
      this.refreshSeconds,
      ids.issuer,
    );
    return {
      access_token: access,
      token_type: 'bearer',
      expires_in: this.accessSeconds,
      refresh_token: refresh,
      scope: claims.scopes.join(' '),
      jti,
    };
  }

  /**
   * Signs a token for some other use (a task's own token, say) with its own lifetime. Its subject
   * is the payload's `sub`, else its `user_id`.
   */
  async sign(payload: Record<string, unknown>, jti: string, seconds: number, issuer = this.defaultIssuer): Promise<string> {
    const { kid, key } = this.keys.signingKey();
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
      .setSubject(String(payload.sub ?? payload.user_id))
      .setIssuer(issuer)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime(`${seconds}s`)
      .sign(key);
  }

  /**
   * A running task's own token (TASKD_TASK_TOKEN): it names the task and its app, and acts as the
   * task's creator only where the CF plugin lets a task token through. It lasts as long as the
   * task may run (its timeout, else a day); identify() refuses it as soon as the task has ended.
   */
  taskToken(task: TaskTokenSubject): Promise<string> {
    // A client's token in UAA's terms (no user_name: clients read it as the client `task`).
    const payload = {
      ...clientTokenClaims('task', []),
      token_use: 'task',
      user_id: task.createdBy ?? '',
      task_guid: task.guid,
      app_guid: task.appGuid,
    };
    return this.sign(payload, `task-${task.guid}`, task.timeoutSeconds ?? TASK_TOKEN_SECONDS);
  }

  /**
   * The client_credentials grant's token, as UAA makes a client's: the client is its subject, its
   * authorities are the token's `authorities` and `scope`, and no user claim is in it. It lasts as
   * long as a user's access token; there is no refresh token (a client simply asks again).
   */
  async issueClientToken(client: UaaClient, issuer?: string): Promise<ClientTokenResponse> {
    const jti = randomUUID();
    const payload = {
      ...clientTokenClaims(client.clientId, client.authorities),
      sub: client.clientId,
      authorities: client.authorities,
      grant_type: 'client_credentials',
      token_use: 'access',
    };
    const access_token = await this.sign(payload, jti, this.accessSeconds, issuer);
    return { access_token, token_type: 'bearer', expires_in: this.accessSeconds, scope: client.authorities.join(' '), jti };
  }

  /** Verifies a token of the given use; undefined when it is malformed, forged, expired or of another use. */
  async verify(token: string, use: 'access' | 'refresh' | 'task'): Promise<VerifiedClaims | undefined> {
    const known = this.verified.get(token);
    if (known && known.expiresAtMs > Date.now()) return known.claims.payload.token_use === use ? known.claims : undefined;
    try {
      const { payload } = await jwtVerify(token, (header) => this.verificationKey(header), { algorithms: ['RS256'] });
      if (!isAcceptedIssuer(payload.iss) || !Array.isArray(payload.scope)) return undefined;
      const clientId = payload.grant_type === 'client_credentials' && typeof payload.client_id === 'string' ? payload.client_id : undefined;
      const userGuid = clientId ?? payload.user_id;
      if (typeof userGuid !== 'string') return undefined;
      const claims: VerifiedClaims = {
        userGuid,
        ...(clientId === undefined ? {} : { clientId }),
        username: typeof payload.user_name === 'string' ? payload.user_name : null,
        scopes: payload.scope.filter((s): s is string => typeof s === 'string'),
        // Tokens from before generations (migration 010) count as generation 0, as their users start.
        generation: typeof payload.gen === 'number' ? payload.gen : 0,
        ...(typeof payload.sid === 'string' ? { sessionId: payload.sid } : {}),
        ...(typeof payload.jti === 'string' ? { jti: payload.jti } : {}),
        payload,
      };
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.clear();
      this.verified.set(token, { claims, expiresAtMs: (payload.exp ?? 0) * 1000 });
      return payload.token_use === use ? claims : undefined;
    } catch (err) {
      if (err instanceof joseErrors.JOSEError || err instanceof TypeError) return undefined;
      throw err;
    }
  }

  /** The key the token's header names; a token naming none, an unknown one or a retired one is refused. */
  private async verificationKey(header: JWTHeaderParameters): Promise<CryptoKey> {
    const key = await this.keys.verificationKey(header.kid);
    if (!key) throw new joseErrors.JWKSNoMatchingKey();
    return key;
  }
}
