// An HTTP/1.1 client that sends exactly the bytes it is given: hostile requests carry what
// Node's own client refuses to send (invalid UTF-8 in the path, a body that disagrees with its
// Content-Type, the same header twice). One connection per request, so a request that confuses
// the server cannot spill into the next.
import net from 'node:net';

export interface RawRequest {
  method: string;
  /** Path and query as bytes (latin1 string or Buffer), sent as is. */
  target: string | Buffer;
  headers: [string, string][];
  body?: Buffer;
  /** Content-Length to send; default the body's length (none without a body). */
  contentLength?: number | null;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export class RequestTimeout extends Error {}

/** Sends one request to 127.0.0.1:port; rejects with RequestTimeout when no full answer arrives in time. */
export function sendRaw(port: number, request: RawRequest, timeoutMs: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (err: Error | undefined, res?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(res!);
    };
    const timer = setTimeout(() => finish(new RequestTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => {
      // The server may answer (413, say) and close before it read the whole body: what it said counts.
      const res = tryParse(Buffer.concat(chunks), true);
      if (res) finish(undefined, res);
      else finish(err);
    });
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      const res = tryParse(Buffer.concat(chunks), false);
      if (res) finish(undefined, res);
    });
    socket.on('end', () => {
      const res = tryParse(Buffer.concat(chunks), true);
      if (res) finish(undefined, res);
      else finish(new Error(`connection closed without a complete answer (${Buffer.concat(chunks).length} bytes)`));
    });
    socket.on('connect', () => {
      const head: Buffer[] = [
        Buffer.from(`${request.method} `, 'latin1'),
        Buffer.isBuffer(request.target) ? request.target : Buffer.from(request.target, 'latin1'),
      ];
      const lines = [' HTTP/1.1', 'host: 127.0.0.1', 'connection: close'];
      for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
      const length = request.contentLength === undefined ? request.body?.length : request.contentLength;
      if (length !== undefined && length !== null) lines.push(`content-length: ${length}`);
      head.push(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
      socket.write(Buffer.concat(head));
      if (request.body) socket.write(request.body);
    });
  });
}

/** A complete response in the bytes so far, or undefined (ended: whatever is there, if it has a head). */
function tryParse(data: Buffer, ended: boolean): RawResponse | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine, ...headerLines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) return undefined;
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = data.subarray(headEnd + 4);
  if (headers['transfer-encoding']?.includes('chunked')) {
    const body = dechunk(rest);
    return body ? { status, headers, body } : ended ? { status, headers, body: rest } : undefined;
  }
  const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  if (length !== undefined && rest.length >= length) return { status, headers, body: rest.subarray(0, length) };
  if (length === undefined && (status === 204 || status === 304)) return { status, headers, body: Buffer.alloc(0) };
  return ended ? { status, headers, body: rest } : undefined;
}

/** The body of a complete chunked message, or undefined while the last chunk has not arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
