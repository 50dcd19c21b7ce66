// A user's credentials over their life, as UAA manages them: logging in (a login is a refresh
// token family), refreshing with rotation and reuse detection, changing and resetting a password,
// and revoking tokens by id or all of a user's at once.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Permissions } from '../auth/permissions.js';
import { refreshTokenId, type TokenPair, type TokenService } from '../auth/tokens.js';
import { tokenScopes } from '../auth/scopes.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { passwordPolicyProblem } from '../auth/password-policy.js';
import { ApiError, type ErrorName } from '../core/errors.js';
import type { Database, UserRow } from '../store/schema.js';
import {
  endTokenSession,
  findTokenSession,
  revokeUserTokens,
  rotateTokenSession,
  setPasswordHash,
  startTokenSession,
} from '../store/credentials.js';

export interface CredentialContext {
  db: Kysely<Database>;
  tokens: TokenService;
  config: Pick<Config, 'refreshTokenSeconds' | 'passwordMinLength' | 'passwordMaxLength'>;
  /** The token endpoint new tokens name as their issuer (tokens.ts issuerAt); unset: the token service's default. */
  issuer?: string;
}

const scopesOf = (user: UserRow) => tokenScopes(user.scopes.split(' ').filter(Boolean));
const refreshExpiry = (ctx: CredentialContext) => new Date(Date.now() + ctx.config.refreshTokenSeconds * 1000).toISOString();

/** A new login of a user whose password was just checked: its first token pair. */
export async function logIn(ctx: CredentialContext, user: UserRow): Promise<TokenPair> {
  const sessionId = randomUUID();
  const pair = await ctx.tokens.issue(
    {
      userGuid: user.guid,
      username: user.username,
      origin: user.origin,
      scopes: scopesOf(user),
      generation: user.token_generation,
      sessionId,
    },
    { issuer: ctx.issuer },
  );
  await startTokenSession(ctx.db, {
    id: sessionId,
    userGuid: user.guid,
    refreshJti: refreshTokenId(pair.jti),
    expiresAt: refreshExpiry(ctx),
  });
  return pair;
}

export type RefreshOutcome = { pair: TokenPair } | { refused: 'invalid' | 'reused' };

/**
 * The refresh_token grant. The token must be its login's current one: it is then replaced by the
 * new pair's (rotation). One used before ends the login, the new tokens of whoever refreshed
 * first included ('reused'): a stolen refresh token is worth one race at most. Scopes are read
 * again, so a user's changed scopes take effect at the next refresh.
 */
export async function refreshLogin(ctx: CredentialContext, refreshToken: string): Promise<RefreshOutcome> {
  const claims = await ctx.tokens.verify(refreshToken, 'refresh');
  // Refresh tokens from before rotation (no login id) are refused: they could be reused forever.
  if (!claims?.sessionId || !claims.jti) return { refused: 'invalid' };
  const user = await ctx.db.selectFrom('users').selectAll().where('guid', '=', claims.userGuid).executeTakeFirst();
  if (!user || user.token_generation !== claims.generation) return { refused: 'invalid' };
  const jti = randomUUID();
  const outcome = await rotateTokenSession(ctx.db, {
    id: claims.sessionId,
    userGuid: user.guid,
    usedJti: claims.jti,
    nextJti: refreshTokenId(jti),
    expiresAt: refreshExpiry(ctx),
  });
  if ('reused' in outcome) return { refused: 'reused' };
  if ('unknown' in outcome) return { refused: 'invalid' };
  const access = {
    userGuid: user.guid,
    username: user.username,
    origin: user.origin,
    grantType: 'refresh_token' as const,
    scopes: scopesOf(user),
    generation: user.token_generation,
    sessionId: claims.sessionId,
  };
  // A parallel refresh gets the login's current refresh token (the same id), so the login keeps one.
  const ids = 'rotated' in outcome ? { jti } : { refreshJti: outcome.currentJti };
  const pair = await ctx.tokens.issue(access, { ...ids, issuer: ctx.issuer });
  return { pair };
}

/** Why a credential change was refused, each as UAA answers it (the catalog error for other dialects). */
export type CredentialRefusalReason =
  | 'not-permitted'
  | 'previous-password-required'
  | 'old-password-incorrect'
  | 'same-password'
  | 'password-policy'
  | 'invalid-change-request'
  | 'user-not-found'
  | 'token-not-found';

const REFUSAL_ERRORS: Record<CredentialRefusalReason, ErrorName> = {
  'not-permitted': 'NotAuthorized',
  'previous-password-required': 'UnprocessableEntity',
  'old-password-incorrect': 'UnprocessableEntity',
  'same-password': 'UnprocessableEntity',
  'password-policy': 'UnprocessableEntity',
  'invalid-change-request': 'ResourceNotFound',
  'user-not-found': 'ResourceNotFound',
  'token-not-found': 'ResourceNotFound',
};

export class CredentialRefusal extends ApiError {
  constructor(
    readonly reason: CredentialRefusalReason,
    readonly description: string,
  ) {
    super(REFUSAL_ERRORS[reason], description);
  }
}

export interface PasswordChange {
  oldPassword?: string;
  password: string;
}

/**
 * Changes a user's password, as UAA's PUT /Users/{id}/password: a user changes their own with
 * the old one; an admin resets anyone else's without it (their own needs it too, as in UAA, so a
 * stolen admin token alone cannot take the admin's password). Every token the user holds stops
 * working (their vSphere sessions end too): whoever took a token keeps nothing.
 */
export async function changePassword(ctx: CredentialContext, actor: Permissions, userGuid: string, change: PasswordChange): Promise<void> {
  const own = userGuid === actor.userGuid;
  if (!own && !actor.isAdmin) throw new CredentialRefusal('not-permitted', "Not permitted to change another user's password");
  if (own && !change.oldPassword)
    throw new CredentialRefusal(
      'previous-password-required',
      actor.isAdmin ? 'Previous password is required even for admin' : 'Previous password is required',
    );
  const user = await ctx.db.selectFrom('users').selectAll().where('guid', '=', userGuid).executeTakeFirst();
  if (!user) throw new CredentialRefusal('invalid-change-request', 'Invalid password change request');
  if (change.oldPassword !== undefined && change.oldPassword !== '' && !(await verifyPassword(change.oldPassword, user.password_hash)))
    throw new CredentialRefusal('old-password-incorrect', 'Old password is incorrect');
  const problem = passwordPolicyProblem(change.password, ctx.config);
  if (problem) throw new CredentialRefusal('password-policy', problem);
  const same = change.oldPassword === change.password || (await verifyPassword(change.password, user.password_hash));
  if (same) throw new CredentialRefusal('same-password', 'Your new password cannot be the same as the old password.');
  await setPasswordHash(ctx.db, user.id, await hashPassword(change.password), true);
}

/** Revokes the login a token id names (its own id, or its access or refresh token's): own tokens, or any for an admin. */
export async function revokeToken(ctx: CredentialContext, actor: Permissions, tokenId: string): Promise<void> {
  const session = await findTokenSession(ctx.db, tokenId);
  // Another user's token is "not found" too: ids are not to be probed.
  if (!session || (session.user_guid !== actor.userGuid && !actor.isAdmin))
    throw new CredentialRefusal('token-not-found', 'Resource not found');
  await endTokenSession(ctx.db, session.id);
}

/** Revokes every token of a user (and ends their vSphere sessions): their own, or anyone's for an admin. */
export async function revokeAllTokens(ctx: CredentialContext, actor: Permissions, userGuid: string): Promise<void> {
  if (userGuid !== actor.userGuid && !actor.isAdmin) throw new CredentialRefusal('not-permitted', 'Access is denied');
  const user = await ctx.db.selectFrom('users').select('guid').where('guid', '=', userGuid).executeTakeFirst();
  if (!user) throw new CredentialRefusal('user-not-found', 'Resource not found');
  await revokeUserTokens(ctx.db, user.guid);
}
