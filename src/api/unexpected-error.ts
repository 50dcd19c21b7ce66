// An error no dialect expected (a bug, a lost database connection): logged with its stack for
// the operator, never shown to the caller. With request logging off (tests, the bench) it still
// reaches stderr, so a 500 never passes unexplained.
import type { FastifyRequest } from 'fastify';

export function logUnexpectedError(request: FastifyRequest, error: unknown): void {
  request.log.error({ err: error }, 'unexpected error');
  if (!request.log.level || request.log.level === 'silent') console.error(error);
}
