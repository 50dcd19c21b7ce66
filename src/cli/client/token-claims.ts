// What the CLI reads from its own tokens (unverified: the server checks them; the CLI only needs
// to know whose they are and which login they belong to).
export interface SessionTokenClaims {
  /** The user's guid. */
  userGuid?: string;
  /** The login (refresh token family) the token belongs to: what logout revokes. */
  sessionId?: string;
}

export function tokenClaims(token: string | undefined): SessionTokenClaims {
  const payload = token?.split('.')[1];
  if (!payload) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    return {
      ...(typeof claims.user_id === 'string' ? { userGuid: claims.user_id } : {}),
      ...(typeof claims.sid === 'string' ? { sessionId: claims.sid } : {}),
    };
  } catch {
    return {};
  }
}
