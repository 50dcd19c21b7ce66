// UAA's credential endpoints, beside /oauth/token (taskd is its own UAA), with UAA's answers:
//   PUT    /Users/{userId}/password        {"oldPassword","password"} -> 200 {"status":"ok","message":"password updated"}
//   DELETE /oauth/token/revoke/{tokenId}   revokes one login (own, or any for an admin) -> 200
//   GET    /oauth/token/revoke/user/{id}   revokes every token of a user (self or admin) -> 200
//   GET    /userinfo                       the token's user, as OpenID Connect's userinfo (scope openid)
// Refusals in UAA's {error, error_description} shape, also those of the token check before.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import {
  changePassword,
  CredentialRefusal,
  revokeAllTokens,
  revokeToken,
  type CredentialRefusalReason,
} from '../../../actions/credentials.js';
import { parsePasswordChange } from '../messages/password-change.js';
import { actorOf } from '../request.js';
import { toApiError } from '../errors.js';
import { storageFullError } from '../../storage-full.js';
import { logUnexpectedError } from '../../unexpected-error.js';
import { credentialsOf } from './oauth.js';
import { SCOPE_OPENID } from '../../../auth/scopes.js';
import { findOwnUser } from '../../../fetchers/users.js';
import { presentUserInfo } from '../presenters/user-info.js';

/** UAA's status and error code for each refusal of the credential actions. */
const REFUSALS: Record<CredentialRefusalReason, [number, string]> = {
  'not-permitted': [403, 'access_denied'],
  'previous-password-required': [422, 'invalid_password'],
  'old-password-incorrect': [401, 'unauthorized'],
  'same-password': [422, 'invalid_password'],
  'password-policy': [422, 'invalid_password'],
  'invalid-change-request': [401, 'unauthorized'],
  'user-not-found': [404, 'invalid_token'],
  'token-not-found': [404, 'invalid_token'],
};

function uaaError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.status(status).header('cache-control', 'no-store').send({ error, error_description: description });
}

function uaaErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof CredentialRefusal) {
    const [status, code] = REFUSALS[error.reason];
    return uaaError(reply, status, code, error.description);
  }
  const apiError = toApiError(error) ?? storageFullError(request, error);
  if (!apiError) {
    logUnexpectedError(request, error);
    return uaaError(reply, 500, 'server_error', 'An unknown error occurred.');
  }
  switch (apiError.errorName) {
    case 'NotAuthenticated':
      return uaaError(reply, 401, 'unauthorized', 'Full authentication is required to access this resource');
    case 'InvalidAuthToken':
      return uaaError(reply, 401, 'invalid_token', 'The token is invalid, expired or revoked');
    case 'NotAuthorized':
      return uaaError(reply, 403, 'access_denied', 'Access is denied');
    case 'TooManyRequests':
      return uaaError(reply, 429, 'too_many_requests', apiError.detail);
  }
  return uaaError(reply, apiError.status, apiError.status >= 500 ? 'temporarily_unavailable' : 'invalid_request', apiError.detail);
}

const UserIdParams = Type.Object({ userId: Type.String() });
const TokenIdParams = Type.Object({ tokenId: Type.String() });

export function uaaCredentialRoutes(app: TypedApp, ctx: AppContext) {
  // The handler returns the reply it sent, as Fastify allows (a reply is thenable, hence the rule).
  /* eslint-disable @typescript-eslint/no-misused-promises */
  app.put('/Users/:userId/password', { schema: { params: UserIdParams }, errorHandler: uaaErrorHandler }, async (request, reply) => {
    const change = parsePasswordChange(request.body);
    await changePassword(credentialsOf(ctx), actorOf(request), request.params.userId, change);
    return reply.header('cache-control', 'no-store').send({ status: 'ok', message: 'password updated' });
  });

  app.delete(
    '/oauth/token/revoke/:tokenId',
    { schema: { params: TokenIdParams }, errorHandler: uaaErrorHandler },
    async (request, reply) => {
      await revokeToken(credentialsOf(ctx), actorOf(request), request.params.tokenId);
      return reply.status(200).send();
    },
  );

  app.get(
    '/oauth/token/revoke/user/:userId',
    { schema: { params: UserIdParams }, errorHandler: uaaErrorHandler },
    async (request, reply) => {
      await revokeAllTokens(credentialsOf(ctx), actorOf(request), request.params.userId);
      return reply.status(200).send();
    },
  );

  app.get('/userinfo', { errorHandler: uaaErrorHandler }, async (request, reply) => {
    const actor = actorOf(request);
    if (!actor.hasScope(SCOPE_OPENID)) return uaaError(reply, 403, 'insufficient_scope', 'Insufficient scope for this resource');
    const user = await findOwnUser(ctx.store.db, actor);
    if (!user) return uaaError(reply, 401, 'invalid_token', 'The token is invalid, expired or revoked');
    return reply.header('cache-control', 'no-store').send(presentUserInfo(user));
  });
  /* eslint-enable @typescript-eslint/no-misused-promises */
}
