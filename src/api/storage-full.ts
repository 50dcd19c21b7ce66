// A request that failed because taskd is out of space (disk full) is no bug: the operator frees
// space and taskd goes on, so it is logged as a warning and answered as the catalog's
// StorageFull — 503 with words, in each dialect's envelope — never as an unexpected 500.
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';
import { isStorageFull } from '../store/errors.js';

/** The StorageFull error for a request that failed for want of space; undefined for any other error. */
export function storageFullError(request: FastifyRequest, error: unknown): ApiError | undefined {
  if (!isStorageFull(error)) return undefined;
  request.log.warn({ err: error }, 'out of storage space: request refused');
  return new ApiError('StorageFull');
}
