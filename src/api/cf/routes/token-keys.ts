// The public keys tokens are signed with, as UAA publishes them, so that anyone may check a
// taskd token without asking taskd:
//   GET  /token_key    the key that signs now:   {"kty":"RSA","e":"AQAB","use":"sig","kid":…,"alg":"RS256","value":PEM,"n":…}
//   GET  /token_keys   every key that verifies:  {"keys":[…]} (the newest first)
// and taskd's own addition, for `taskd admin rotate-signing-key`:
//   POST /token_keys   (admins) makes a new key, which signs from now on -> 201 with that key
// Refusals of the POST in UAA's {error, error_description} shape.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { rotateSigningKey } from '../../../actions/signing-keys.js';
import { actorOf } from '../request.js';
import { cfErrorHandler, toApiError } from '../errors.js';

/** UAA's answers to a missing, bad or insufficient token. */
const UAA_REFUSALS: Record<string, [number, string, string]> = {
  NotAuthenticated: [401, 'unauthorized', 'Full authentication is required to access this resource'],
  InvalidAuthToken: [401, 'invalid_token', 'The token is invalid, expired or revoked'],
  NotAuthorized: [403, 'access_denied', 'Access is denied'],
};

function tokenKeyErrors(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const refusal = UAA_REFUSALS[toApiError(error)?.errorName ?? ''];
  if (!refusal) return cfErrorHandler(error, request, reply);
  const [status, code, description] = refusal;
  return reply.status(status).send({ error: code, error_description: description });
}

export function tokenKeyRoutes(app: TypedApp, ctx: AppContext) {
  const keys = ctx.tokens.keys;
  app.get('/token_key', { config: { public: true } }, async () => keys.currentTokenKey());
  app.get('/token_keys', { config: { public: true } }, async () => ({ keys: keys.tokenKeys() }));
  // The handler returns the reply it sent, as Fastify allows (a reply is thenable, hence the rule).
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  app.post('/token_keys', { errorHandler: tokenKeyErrors }, async (request, reply) => {
    const made = await rotateSigningKey(keys, actorOf(request));
    return reply.status(201).send(made);
  });
}
