// The signed-in user's tokens, kept in sessionStorage: they last as long as the tab, and are not
// sent anywhere on their own (no cookies), so the API's bearer auth is all there is.
const KEY = 'taskd.session';

export interface Session {
  accessToken: string;
  refreshToken: string;
}

/** What the dashboard reads from taskd's access token (src/auth/tokens.ts). */
export interface Claims {
  userGuid: string;
  username: string;
  scopes: string[];
}

export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/** The token's payload, unverified: only to decide what to show; the API checks every call. */
/** A JWT's payload, unverified: the server verifies; the dashboard only reads what it was given. */
function payloadOf(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  const json = atob(
    part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '='),
  );
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

export function claimsOf(token: string): Claims {
  const payload = payloadOf(token);
  const scope = payload.scope;
  return {
    userGuid: String(payload.user_id ?? payload.sub ?? ''),
    username: String(payload.user_name ?? ''),
    scopes: Array.isArray(scope) ? scope.map(String) : typeof scope === 'string' ? scope.split(' ') : [],
  };
}

/** The login a session's refresh token belongs to (UAA's revocable token id), if it names one. */
export function loginIdOf(session: Session): string | undefined {
  try {
    const sid = payloadOf(session.refreshToken).sid;
    return typeof sid === 'string' ? sid : undefined;
  } catch {
    return undefined;
  }
}

export function currentClaims(): Claims | null {
  const session = loadSession();
  return session ? claimsOf(session.accessToken) : null;
}

export function isAdmin(claims: Claims | null): boolean {
  return claims?.scopes.includes('cloud_controller.admin') ?? false;
}
