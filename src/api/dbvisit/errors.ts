// Dbvisit's error envelope, {"successful":false,"error":{"message":…}} (specs/dialects.md §3.2,
// §3.6, §5): request errors of any kind are 400 as Dbvisit documents them, except failed
// authentication (401), a refused permission (403), an unknown path (404) and a wrong method
// (405). Anything unexpected is logged and answered 500 in the same envelope, never with a stack.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../core/errors.js';
import { logUnexpectedError } from '../unexpected-error.js';
import { storageFullError } from '../storage-full.js';

export interface DbvisitErrorBody {
  successful: false;
  error: { message: string };
}

export const dbvisitErrorBody = (message: string): DbvisitErrorBody => ({ successful: false, error: { message } });

/** A request error in Dbvisit's own words. */
export const badRequest = (message: string) => new ApiError('BadRequest', message);

/** What each catalog error says to a Dbvisit client where the catalog's CF wording would not fit. */
function messageOf(err: ApiError): string {
  switch (err.errorName) {
    case 'NotAuthenticated':
      return 'authentication required: send HTTP Basic credentials (taskd username and password) or a Bearer access token';
    case 'InvalidAuthToken':
      return 'authentication failed: wrong username or password, or an invalid or expired token';
    case 'NotAuthorized':
      return 'not allowed: you are not authorized to perform the requested action';
    case 'RequestEntityTooLarge':
      return 'the request body is larger than this server accepts';
    case 'UnknownError':
    case 'DatabaseError':
      return 'internal error';
    default:
      return err.detail;
  }
}

function statusOf(err: ApiError): number {
  const { status } = err.definition;
  if (status === 401 || status === 403 || status === 404 || status === 405 || status === 429 || status >= 500) {
    // A missing task is a request error to Dbvisit, not an unknown path.
    return err.errorName === 'ResourceNotFound' ? 400 : status;
  }
  return 400;
}

/** Maps Fastify's own request errors (body parsing and size) onto Dbvisit's messages. */
function fromFastify(error: FastifyError | Error): ApiError | undefined {
  if (error instanceof ApiError) return error;
  const { code, statusCode } = error as FastifyError;
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || statusCode === 415) return badRequest('unsupported Content-Type: send application/json');
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || statusCode === 413) return new ApiError('RequestEntityTooLarge', '');
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return badRequest('the request body is not valid JSON');
  return undefined;
}

export function dbvisitErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  let apiError = fromFastify(error) ?? storageFullError(request, error);
  if (!apiError) {
    logUnexpectedError(request, error);
    apiError = new ApiError('UnknownError');
  }
  const status = statusOf(apiError);
  // Says which credentials to send, as HTTP clients (curl -u, browsers) expect of a 401.
  if (status === 401) reply.header('www-authenticate', 'Basic realm="taskd", Bearer realm="taskd"');
  return reply
    .status(status)
    .type('application/json')
    .send(dbvisitErrorBody(messageOf(apiError)));
}
