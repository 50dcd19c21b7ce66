// Log cache's error answers. Its gateway (grpc-gateway) answers a gRPC status as JSON
// {"code","message","details"}: 400 code 3 (InvalidArgument) for parameters it cannot parse; its
// CF auth proxy answers 404 with no body for a source the caller may not read (or that does not
// exist). taskd answers 401 code 16 (Unauthenticated) for a missing or bad token, where the proxy
// says 404: the client (the cf CLI) treats every status but 200 alike.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../core/errors.js';
import { logUnexpectedError } from '../unexpected-error.js';
import { storageFullError } from '../storage-full.js';

/** gRPC status codes that log cache's answers carry. */
const CODES: Record<number, number> = { 400: 3, 401: 16, 404: 5, 429: 8, 500: 13, 503: 14 };

export class LogCacheError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (message: string) => new LogCacheError(400, message);

export function logCacheErrorBody(status: number, message: string) {
  return { code: CODES[status] ?? 2, message, details: [] as unknown[] };
}

/** A source the caller may not read, or that does not exist: log cache's CF auth proxy answers a bare 404. */
export function sendSourceNotFound(reply: FastifyReply) {
  return reply.status(404).send('');
}

export function logCacheErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof LogCacheError)
    return reply.status(error.status).type('application/json').send(logCacheErrorBody(error.status, error.message));
  const known = error instanceof ApiError ? error : storageFullError(request, error);
  if (known && (known.status === 404 || known.status === 403)) return sendSourceNotFound(reply);
  if (known) return reply.status(known.status).type('application/json').send(logCacheErrorBody(known.status, known.detail));
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500)
    return reply.status(400).type('application/json').send(logCacheErrorBody(400, 'invalid request'));
  logUnexpectedError(request, error);
  return reply.status(500).type('application/json').send(logCacheErrorBody(500, 'internal error'));
}
