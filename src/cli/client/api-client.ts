// A small client of taskd's CF v3 API for the CLI verbs. It signs requests with the session's
// access token and, when the API answers 401 (the token expired), refreshes it once with the
// refresh token, saves the new pair, and retries. Links in answers are followed by path only:
// the server may present them under an external URL that this client cannot reach.
import { ApiFailure, CliError, Unreachable } from './errors.js';
import type { Session, SessionStore } from './config-store.js';
import { unreachableReason } from './unreachable.js';

export interface TokenGrant {
  access_token: string;
  refresh_token: string;
}

export interface SendOptions {
  method?: string;
  json?: unknown;
  headers?: Record<string, string>;
  /** A body made afresh for each attempt (a retried upload must be read again from the start). */
  body?: () => BodyInit | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
}

export interface Page<T> {
  pagination: { total_results: number; total_pages: number; next: { href: string } | null };
  resources: T[];
}

/**
 * Normalises an API URL as typed by a user: a scheme is required (`localhost:8080` would parse as
 * one, `localhost:`), a trailing slash is dropped, and the API's root is wanted, not its /v3.
 */
export function normaliseApiUrl(raw: string): string {
  const typed = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(typed))
    throw new CliError(`'${typed}' has no scheme; give the API as http://${typed} (or https:// where it speaks TLS)`);
  let url: URL;
  try {
    url = new URL(typed);
  } catch {
    throw new CliError(`'${typed}' is not a URL; give the API as http(s)://host:port`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`'${typed}' is not an http(s) URL`);
  const root = url.toString().replace(/\/+$/, '');
  const v3 = /\/v3(\/.*)?$/.exec(url.pathname);
  if (v3) throw new CliError(`'${typed}' names the API's /v3; give its root: ${url.origin}${url.pathname.slice(0, v3.index)}`);
  return root;
}

/** fetch, with a network failure turned into one line that names the API. */
export async function reach(api: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Unreachable(unreachableReason(api, cause?.code, cause?.message ?? (err as Error).message));
  }
}

/** The API's own explanation of a refusal: CF's errors[0].detail, or UAA's error_description. */
export async function failureOf(res: Response): Promise<ApiFailure> {
  const text = await res.text().catch(() => '');
  let detail: string | undefined;
  try {
    const body = JSON.parse(text) as { errors?: { detail?: string }[]; error_description?: string; error?: string };
    detail = body.errors?.[0]?.detail ?? body.error_description ?? body.error;
  } catch {
    // Not JSON (a proxy's page): the status line says enough.
  }
  return new ApiFailure(res.status, detail ?? `${res.status} ${res.statusText}`.trim());
}

/** POST /oauth/token as the cf CLI does it: client `cf` with an empty secret, as Basic auth. */
export async function requestToken(api: string, form: Record<string, string>): Promise<TokenGrant> {
  const res = await reach(api, `${api}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('cf:').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(form).toString(),
  });
  if (!res.ok) throw await failureOf(res);
  return (await res.json()) as TokenGrant;
}

/** A query string; each value is encoded once here (see `listValue` for CF's list filters). */
export function query(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * One value of a CF list filter (`names=`): CF splits the list on commas and then unescapes each
 * element once more, so a value is escaped twice to arrive as typed (commas and % included).
 */
export const listValue = (value: string): string => encodeURIComponent(value);

export class CfClient {
  private constructor(
    private readonly store: SessionStore,
    private readonly session: Session & { api: string },
  ) {}

  /** The client of the logged-in session; a clear error when there is none. */
  static open(store: SessionStore): CfClient {
    const session = store.load();
    if (!session.api || !session.accessToken) throw new CliError('not logged in; run `taskd login -a API_URL -u USER` first');
    return new CfClient(store, session as Session & { api: string });
  }

  get api(): string {
    return this.session.api;
  }

  get current(): Readonly<Session> {
    return this.session;
  }

  /** Changes and saves the session (the target, after `taskd target`). */
  update(change: Partial<Session>): void {
    Object.assign(this.session, change);
    this.store.save(this.session);
  }

  /** An authenticated request; a non-2xx answer becomes an ApiFailure with the API's detail. */
  async send(path: string, options: SendOptions = {}): Promise<Response> {
    let res = await this.attempt(path, options);
    if (res.status === 401 && this.session.refreshToken) {
      await res.body?.cancel();
      await this.refresh();
      res = await this.attempt(path, options);
    }
    if (!res.ok) throw await failureOf(res);
    return res;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(path, { method, json: body });
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get = <T>(path: string) => this.json<T>('GET', path);
  post = <T>(path: string, body?: unknown) => this.json<T>('POST', path, body);
  patch = <T>(path: string, body?: unknown) => this.json<T>('PATCH', path, body);

  /** Every resource of a list, page after page (for the small lists of orgs, spaces and apps). */
  async all<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const page: Page<T> = await this.get<Page<T>>(next);
      out.push(...page.resources);
      next = page.pagination.next ? pathOf(page.pagination.next.href) : undefined;
    }
    return out;
  }

  private attempt(path: string, options: SendOptions): Promise<Response> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...options.headers,
      authorization: `bearer ${this.session.accessToken}`,
    };
    let body: unknown;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body) {
      body = options.body();
    }
    // duplex is what Node's fetch needs for a streamed body; DOM's RequestInit does not know it.
    const init = { method: options.method ?? 'GET', headers, body, signal: options.signal, duplex: 'half' } as RequestInit;
    return reach(this.api, `${this.api}${path}`, init);
  }

  private async refresh(): Promise<void> {
    let grant: TokenGrant;
    try {
      grant = await requestToken(this.api, { grant_type: 'refresh_token', refresh_token: this.session.refreshToken! });
    } catch (err) {
      if (err instanceof ApiFailure) throw new CliError(`the session has expired (${err.detail}); run \`taskd login\` again`);
      throw err;
    }
    this.update({ accessToken: grant.access_token, refreshToken: grant.refresh_token });
  }
}

/** The path and query of a link, to be requested from this client's own API URL. */
export function pathOf(href: string): string {
  const url = new URL(href, 'http://placeholder');
  return `${url.pathname}${url.search}`;
}
