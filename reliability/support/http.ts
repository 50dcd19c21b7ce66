// A small JSON client over real HTTP (fetch, keep-alive as a busy client sends): one request,
// timed and bounded, its answer parsed as JSON when it is JSON. A request that gets no answer
// (connection refused or reset, timeout) is an answer with status 0, which callers count as
// unanswered rather than letting it throw through the check.
export interface Answer {
  /** HTTP status; 0 when no answer came (connection error or timeout). */
  status: number;
  body: any;
  text: string;
  headers: Headers;
  /** From sending to the whole answer read, in milliseconds. */
  ms: number;
}

export interface Request {
  method: string;
  /** Absolute: http://127.0.0.1:<port>/v3/... */
  url: string;
  /** The Authorization header, e.g. bearer(token) or basic(user, password). */
  authorization?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is (a multipart form, a Buffer), with the content type in `headers`. */
  raw?: BodyInit;
  headers?: Record<string, string>;
  /** Gives up after this; none by default. */
  timeoutMs?: number;
}

export const bearer = (token: string) => `bearer ${token}`;
export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The answer; status 0 (and the error in `text`) when none came. */
export async function send(req: Request): Promise<Answer> {
  const started = performance.now();
  const headers: Record<string, string> = {
    ...(req.authorization === undefined ? {} : { authorization: req.authorization }),
    ...req.headers,
  };
  if (req.json !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers,
      body: req.raw ?? (req.json === undefined ? undefined : JSON.stringify(req.json)),
      signal: req.timeoutMs === undefined ? undefined : AbortSignal.timeout(req.timeoutMs),
    });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers, ms: performance.now() - started };
  } catch (err) {
    return {
      status: 0,
      body: undefined,
      text: String((err as Error).cause ?? err),
      headers: new Headers(),
      ms: performance.now() - started,
    };
  }
}

/** A short description of an answer for a failure line. */
export function described(answer: Answer): string {
  return answer.status ? `${answer.status} ${answer.text.slice(0, 300)}` : `no answer (${answer.text})`;
}

/** Logs in as taskd's admin (the CF password grant); answers the access token. */
export async function adminToken(url: string, password: string, timeoutMs?: number): Promise<string> {
  const res = await send({
    method: 'POST',
    url: `${url}/oauth/token`,
    authorization: basic('cf', ''),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    raw: new URLSearchParams({ grant_type: 'password', username: 'admin', password }).toString(),
    timeoutMs,
  });
  if (res.status !== 200) throw new Error(`login failed: ${described(res)}`);
  return (res.body as { access_token: string }).access_token;
}
