// Renders any error as CF's envelope: {"errors":[{"detail","title","code"}]}. Fastify's own
// errors (bad JSON, oversized or mistyped bodies) become their CF equivalents; anything
// unexpected is logged and answered as a bare 500 UnknownError, never with a stack trace.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../core/errors.js';
import { logUnexpectedError } from '../unexpected-error.js';
import { storageFullError } from '../storage-full.js';

export interface CfErrorBody {
  errors: { detail: string; title: string; code: number }[];
}

export function cfErrorBody(err: ApiError): CfErrorBody {
  const { title, code } = err.definition;
  // UnknownError carries no CF- prefix (spec §7).
  return { errors: [{ detail: err.detail, title: err.errorName === 'UnknownError' ? title : `CF-${title}`, code }] };
}

/** Maps Fastify's and Node's request errors onto the catalog. */
export function toApiError(error: FastifyError | Error): ApiError | undefined {
  if (error instanceof ApiError) return error;
  const code = (error as FastifyError).code;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('MessageParseError', 'invalid request body');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ApiError('RequestEntityTooLarge', 'the request body is larger than this server accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new ApiError('UnsupportedMediaType', 'send application/json (or multipart/form-data for uploads)');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new ApiError('MessageParseError', 'invalid request body');
    case 'FST_PROTO_VIOLATION':
      return new ApiError('MessageParseError', 'invalid request body');
  }
  if (error instanceof SyntaxError && (error as FastifyError).statusCode === 400)
    return new ApiError('MessageParseError', 'invalid request body');
  const status = (error as FastifyError).statusCode;
  if (status === 413) return new ApiError('RequestEntityTooLarge', 'the request body is larger than this server accepts');
  if (status === 415) return new ApiError('UnsupportedMediaType', 'send application/json');
  if (status !== undefined && status >= 400 && status < 500) return new ApiError('MessageParseError', 'invalid request body');
  return undefined;
}

export function cfErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  let apiError = toApiError(error) ?? storageFullError(request, error);
  if (!apiError) {
    logUnexpectedError(request, error);
    apiError = new ApiError('UnknownError');
  }
  return reply.status(apiError.status).type('application/json').send(cfErrorBody(apiError));
}
