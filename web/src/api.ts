// Calls to taskd's public CF API with the session's bearer token. A 401 is retried once after a
// refresh with the refresh token; when that fails too, the session is over.
import { clearSession, loadSession, loginIdOf, saveSession } from './session.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** CF's list envelope. */
export interface Page<T> {
  pagination: { total_results: number; total_pages: number };
  resources: T[];
}

export const SIGNED_OUT_EVENT = 'taskd:signed-out';

/** What a failed fetch means to the user: the browser's own words ("Failed to fetch") say nothing. */
export const UNREACHABLE = 0;

export function isUnreachable(err: unknown): boolean {
  return err instanceof ApiError && err.status === UNREACHABLE;
}

export async function api(path: string, init: RequestInit = {}): Promise<Response> {
  let res = await reach(path, withAuth(init));
  if (res.status === 401 && loadSession() && (await refresh())) res = await reach(path, withAuth(init));
  if (res.status === 401) endSession();
  if (!res.ok) throw await errorOf(res);
  return res;
}

export async function getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  return (await api(path, init)).json() as Promise<T>;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = JSON.stringify(body);
  init.headers = body === undefined ? {} : { 'content-type': 'application/json' };
  return getJson<T>(path, init);
}

/** Every page of a list (for the short lists behind filters and browsing). */
export async function getAll<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; ; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const body = await getJson<Page<T>>(`${path}${sep}per_page=500&page=${page}`);
    out.push(...body.resources);
    if (page >= body.pagination.total_pages) return out;
  }
}

export async function signIn(username: string, password: string): Promise<void> {
  const tokens = await tokenRequest({ grant_type: 'password', username, password });
  if (!tokens) throw new ApiError(401, 'Wrong username or password.');
  saveSession(tokens);
}

export function endSession(): void {
  clearSession();
  window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
}

/**
 * Signing out ends the login on the server too (UAA's DELETE /oauth/token/revoke/{id}), as
 * `taskd logout` does, so a copy of the tokens (another tab, a shared machine's memory) stops
 * working at once rather than when it expires. Forgotten here whatever the server answers: a
 * server out of reach must not keep anyone signed in.
 */
export async function signOut(): Promise<void> {
  const session = loadSession();
  const loginId = session && loginIdOf(session);
  if (session && loginId) {
    await fetch(`/oauth/token/revoke/${encodeURIComponent(loginId)}`, {
      method: 'DELETE',
      headers: { authorization: `bearer ${session.accessToken}` },
    }).catch(() => undefined);
  }
  endSession();
}

/** fetch, with a network failure (server down, offline) as an ApiError; an abort stays an abort. */
async function reach(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new ApiError(UNREACHABLE, 'Cannot reach taskd');
  }
}

function withAuth(init: RequestInit): RequestInit {
  const session = loadSession();
  const headers = new Headers(init.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  if (session) headers.set('authorization', `bearer ${session.accessToken}`);
  return { ...init, headers };
}

async function refresh(): Promise<boolean> {
  const session = loadSession();
  if (!session) return false;
  const tokens = await tokenRequest({ grant_type: 'refresh_token', refresh_token: session.refreshToken });
  if (tokens) saveSession(tokens);
  return tokens !== null;
}

/** The cf CLI's client: `cf` with an empty secret. */
async function tokenRequest(form: Record<string, string>) {
  const res = await reach('/oauth/token', {
    method: 'POST',
    headers: { authorization: `Basic ${btoa('cf:')}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form),
  });
  if (res.status === 400 || res.status === 401) return null;
  if (!res.ok) throw await errorOf(res);
  const body = await res.json();
  return { accessToken: body.access_token as string, refreshToken: body.refresh_token as string };
}

/** One readable line from CF's error envelope (errors[0].detail), or from the status. */
async function errorOf(res: Response): Promise<ApiError> {
  let detail = '';
  try {
    const body = await res.json();
    detail = body?.errors?.[0]?.detail ?? body?.error_description ?? '';
  } catch {
    // Not JSON: the status line says enough.
  }
  return new ApiError(res.status, detail || `${res.status} ${res.statusText || 'error'}`);
}
