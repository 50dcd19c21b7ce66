// Requests to a taskd node over real HTTP (keep-alive, as a busy client sends them), timed, and
// bounded: a request that gets no answer within its timeout counts as failed, the check goes on.
export interface Answer {
  /** HTTP status; 0 when no answer came (connection error or timeout). */
  status: number;
  body: any;
  text: string;
  /** From sending to the whole answer read, in milliseconds. */
  ms: number;
}

const TIMEOUT_MS = 60_000;

export async function send(method: string, url: string, token: string, body?: unknown): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method,
      headers: { authorization: `bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, ms: performance.now() - started };
  } catch (err) {
    return { status: 0, body: undefined, text: String((err as Error).cause ?? err), ms: performance.now() - started };
  }
}

/** A short description of an answer for a failure line. */
export function described(answer: Answer): string {
  return answer.status ? `${answer.status} ${answer.text.slice(0, 300)}` : `no answer (${answer.text})`;
}
