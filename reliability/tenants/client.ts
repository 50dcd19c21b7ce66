// A tenant's HTTP client: node:http from a loopback address of the tenant's own (127.0.0.2 for the
// noisy tenant), so that taskd sees two clients at two addresses, as it would two offices, and its
// per-address limits can tell them apart. Every request opens a connection of its own, as a CLI
// does per command: a kept-alive connection would slip past a server that refuses new ones.
import http from 'node:http';

export interface Reply {
  /** HTTP status; 0 when no answer came (refused, reset, timeout). */
  status: number;
  body: any;
  text: string;
  /** Why no answer came (ECONNRESET, timeout, …), when status is 0. */
  error?: string;
  /** From sending to the whole answer read. */
  ms: number;
}

export interface Call {
  method: string;
  path: string;
  headers?: Record<string, string>;
  json?: unknown;
  /** Sent as it is; its content type in headers. */
  raw?: Buffer | string;
  timeoutMs?: number;
  /** Ends the request at once (an answer of status 0, error 'aborted'). */
  signal?: AbortSignal;
}

export class TenantClient {
  constructor(
    readonly port: number,
    /** The address this tenant's connections come from. */
    readonly localAddress: string,
    private token = '',
  ) {}

  useToken(token: string): void {
    this.token = token;
  }

  get authorization(): string {
    return `bearer ${this.token}`;
  }

  /** One request on a connection of its own; never throws (status 0 and `error` instead). */
  send(call: Call): Promise<Reply> {
    const started = performance.now();
    const body = call.json === undefined ? call.raw : JSON.stringify(call.json);
    const headers: Record<string, string | number> = {
      ...(this.token ? { authorization: this.authorization } : {}),
      ...(call.json === undefined ? {} : { 'content-type': 'application/json' }),
      ...call.headers,
    };
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    return new Promise((resolve) => {
      let settled = false;
      const settle = (reply: Omit<Reply, 'ms'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...reply, ms: performance.now() - started });
      };
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          localAddress: this.localAddress,
          method: call.method,
          path: call.path,
          headers,
          agent: false,
          timeout: call.timeoutMs ?? 30_000,
          signal: call.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            settle({ status: res.statusCode ?? 0, body: parsed, text });
          });
          res.on('error', (err) => settle({ status: 0, body: undefined, text: '', error: errorName(err) }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => settle({ status: 0, body: undefined, text: '', error: call.signal?.aborted ? 'aborted' : errorName(err) }));
      req.end(body);
    });
  }
}

/** The short name of a connection error (ECONNRESET, timeout, socket hang up). */
export function errorName(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(err);
}

/** Tallies outcomes by status (and error for status 0): "202×510, 429×90, 0 ECONNRESET×2". */
export class Tally {
  private readonly counts = new Map<string, number>();

  /** Counts an answer; a request the check itself aborted (at its end) is no answer of taskd's and is not counted. */
  add(reply: Pick<Reply, 'status' | 'error'>): void {
    if (reply.error === 'aborted') return;
    const key = reply.status ? String(reply.status) : `0 ${reply.error ?? 'no answer'}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  count(predicate: (status: number) => boolean): number {
    let n = 0;
    for (const [key, value] of this.counts) if (predicate(Number(key.split(' ')[0]))) n += value;
    return n;
  }

  get total(): number {
    return this.count(() => true);
  }

  toString(): string {
    if (!this.counts.size) return 'none';
    return [...this.counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, n]) => `${key}×${n}`)
      .join(', ');
  }
}
