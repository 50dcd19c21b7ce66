// Signed JWTs (HS256). The signing key is made on first start and kept in the store (which, on
// the embedded default, is the data directory), so every taskd node sharing a database accepts
// the same tokens.
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface AccessClaims {
  userGuid: string;
  username: string | null;
  scopes: string[];
}

export interface TokenPair {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
  jti: string;
}

const ISSUER = 'taskd';
const KEY_SETTING = 'token_signing_key';

type VerifiedClaims = AccessClaims & { payload: Record<string, unknown> };

/** What a task token is made from. */
export interface TaskTokenSubject {
  guid: string;
  appGuid: string;
  /** The user the task acts as (its creator). */
  createdBy: string | null;
  timeoutSeconds: number | null;
}

/** A task without a timeout may run for days, but its token need not outlive one. */
const TASK_TOKEN_SECONDS = 24 * 3600;

/** How many verified tokens are remembered; a client reuses its token for many requests. */
const VERIFIED_CACHE_SIZE = 10_000;

export class TokenService {
  /** Verified tokens until they expire: checking an HMAC again would give the same answer. */
  private readonly verified = new Map<string, { claims: VerifiedClaims; expiresAtMs: number }>();

  private constructor(
    private readonly key: CryptoKey,
    private readonly accessSeconds: number,
    private readonly refreshSeconds: number,
  ) {}

  static async open(db: Kysely<Database>, accessSeconds: number, refreshSeconds: number): Promise<TokenService> {
    await db
      .insertInto('settings')
      .values({ name: KEY_SETTING, value: randomBytes(32).toString('base64url') })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await db.selectFrom('settings').select('value').where('name', '=', KEY_SETTING).executeTakeFirstOrThrow();
    // Imported once: handing jose raw bytes would import the key again for every token.
    const key = await crypto.subtle.importKey('raw', Buffer.from(row.value, 'base64url'), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    return new TokenService(key, accessSeconds, refreshSeconds);
  }

  async issue(claims: AccessClaims): Promise<TokenPair> {
    const jti = randomUUID();
    const common = { user_id: claims.userGuid, user_name: claims.username, scope: claims.scopes, client_id: 'cf' };
    const access = await this.sign({ ...common, token_use: 'access' }, jti, this.accessSeconds);
    const refresh = await this.sign({ ...common, token_use: 'refresh' }, `${jti}-r`, this.refreshSeconds);
    return {
      access_token: access,
      token_type: 'bearer',
      expires_in: this.accessSeconds,
      refresh_token: refresh,
      scope: claims.scopes.join(' '),
      jti,
    };
  }

  /** Signs a token for some other use (a task's own token, say) with its own lifetime. */
  sign(payload: Record<string, unknown>, jti: string, seconds: number): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(payload.user_id))
      .setIssuer(ISSUER)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime(`${seconds}s`)
      .sign(this.key);
  }

  /**
   * A running task's own token (TASKD_TASK_TOKEN): it names the task and its app, and acts as the
   * task's creator only where the CF plugin lets a task token through. It lasts as long as the
   * task may run (its timeout, else a day); identify() refuses it as soon as the task has ended.
   */
  taskToken(task: TaskTokenSubject): Promise<string> {
    const payload = {
      token_use: 'task',
      user_id: task.createdBy ?? '',
      user_name: null,
      scope: [],
      client_id: 'task',
      task_guid: task.guid,
      app_guid: task.appGuid,
    };
    return this.sign(payload, `task-${task.guid}`, task.timeoutSeconds ?? TASK_TOKEN_SECONDS);
  }

  /** Verifies a token of the given use; undefined when it is malformed, forged, expired or of another use. */
  async verify(token: string, use: 'access' | 'refresh' | 'task'): Promise<VerifiedClaims | undefined> {
    const known = this.verified.get(token);
    if (known && known.expiresAtMs > Date.now()) return known.claims.payload.token_use === use ? known.claims : undefined;
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      if (typeof payload.user_id !== 'string' || !Array.isArray(payload.scope)) return undefined;
      const claims: VerifiedClaims = {
        userGuid: payload.user_id,
        username: typeof payload.user_name === 'string' ? payload.user_name : null,
        scopes: payload.scope.filter((s): s is string => typeof s === 'string'),
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
}
