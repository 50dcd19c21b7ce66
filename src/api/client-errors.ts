// Requests Node's HTTP parser refuses before Fastify sees them — bytes no request line may hold
// (raw non-ASCII or control characters in the path or query), headers too large, a request that
// took too long — answered in the envelope of the dialect the request line names, not in
// Fastify's own {"error","message","statusCode"}. There is no request object yet: the answer is
// written to the socket by hand, and the connection closed, as Node itself does.
import type { Socket } from 'node:net';
import type { ConnectionError } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { ApiError } from '../core/errors.js';
import { cfErrorBody } from './cf/errors.js';
import { AstraProblem, PROBLEM_MEDIA_TYPE, problemBody } from './astra/problems.js';
import { invalidArgument } from './vsphere/errors.js';
import { apiWire, messageOf, restWire } from './vsphere/wire.js';
import { dbvisitErrorBody } from './dbvisit/errors.js';
import { logCacheErrorBody } from './logcache/errors.js';
import { dialectOfPath } from './framework-errors.js';

/** The path of the request line in the bytes being parsed when the parser gave up, if they start with one. */
function requestPathOf(packet: unknown): string {
  const line = Buffer.isBuffer(packet) ? packet.subarray(0, 2048).toString('latin1').split('\r\n')[0] : '';
  return /^[A-Z]+ (\/\S*)/.exec(line)?.[1] ?? '/';
}

function answerFor(path: string, status: number, detail: string): { type: string; body: unknown } {
  const json = 'application/json';
  switch (dialectOfPath(path)) {
    case 'astra':
      return { type: PROBLEM_MEDIA_TYPE, body: { ...problemBody(new AstraProblem(5)), status: String(status) } };
    case 'vsphere-rest':
      return { type: json, body: restWire.errorBody('invalid_argument', [messageOf(invalidArgument(detail))]) };
    case 'vsphere-api':
      return { type: json, body: apiWire.errorBody('invalid_argument', [messageOf(invalidArgument(detail))]) };
    case 'logcache':
      return { type: json, body: logCacheErrorBody(status, detail) };
    case 'dbvisit':
      return { type: json, body: dbvisitErrorBody(`the request is invalid: ${detail}`) };
    case 'oauth':
      return { type: json, body: { error: 'invalid_request', error_description: detail } };
    case 'cf':
      return { type: json, body: cfErrorBody(new ApiError('InvalidRequest')) };
  }
}

export function clientErrorHandler(error: ConnectionError, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request took too long to arrive']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are too large']
        : [400, 'the request line or headers cannot be parsed'];
  const { type, body } = answerFor(requestPathOf(error.rawPacket), status, detail);
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}
