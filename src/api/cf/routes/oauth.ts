// POST /oauth/token: UAA's password and refresh_token grants for the client `cf` (empty secret,
// sent as Basic auth by the cf CLI), and the client_credentials grant for the clients an operator
// configured (TASKD_UAA_CLIENTS_FILE). Errors use UAA's own {error, error_description} shape.
// Each password login starts a refresh token family; each refresh rotates it (actions/credentials).
// As in UAA, the client is authenticated first, then the grant must be one the client may use.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toApiError } from '../errors.js';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { authenticate } from '../../../auth/password-login.js';
import { logIn, refreshLogin, type CredentialContext } from '../../../actions/credentials.js';
import { logUnexpectedError } from '../../unexpected-error.js';
import { storageFullError } from '../../storage-full.js';
import { limitedLogin } from '../../rate-limits.js';
import { issuerAt } from '../../../auth/tokens.js';
import type { UaaClient } from '../../../auth/uaa-clients.js';
import { logInClient } from '../../../actions/client-login.js';
import { presentedClient, type PresentedClient } from '../messages/oauth-client.js';
import { baseUrl } from '../request.js';

/** The cf CLI's client: public (an empty secret), for users' logins. */
const CF_CLIENT = 'cf';

/** The grants taskd answers; each client may use some of them (UAA's authorized_grant_types). */
export const GRANT_TYPES = ['password', 'refresh_token', 'client_credentials'] as const;
type GrantType = (typeof GRANT_TYPES)[number];

const grantsOf = (client: typeof CF_CLIENT | UaaClient): readonly GrantType[] =>
  client === CF_CLIENT ? ['password', 'refresh_token'] : ['client_credentials'];

function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.status(status).header('cache-control', 'no-store').send({ error, error_description: description });
}

/**
 * What the credential actions need of this taskd; with the request, new tokens name the token
 * endpoint it reached as their issuer (TASKD_EXTERNAL_URL's, when set).
 */
export const credentialsOf = (ctx: AppContext, request?: FastifyRequest): CredentialContext => ({
  db: ctx.store.db,
  tokens: ctx.tokens,
  config: ctx.config,
  ...(request ? { issuer: issuerAt(baseUrl(ctx, request)) } : {}),
});

/**
 * The client the request authenticates as, or undefined. The cf client with its empty secret has
 * nothing to guess; any other attempt (a configured client's secret, a wrong or unknown client)
 * goes through the failed-login throttle the password grant uses, keyed by the client id.
 */
async function authenticatedClient(
  ctx: AppContext,
  address: string,
  presented: PresentedClient,
): Promise<typeof CF_CLIENT | UaaClient | undefined> {
  const id = presented.id ?? CF_CLIENT;
  if (id === CF_CLIENT && presented.secret === '') return CF_CLIENT;
  return limitedLogin(ctx, address, `client:${id}`, async () => ctx.tokens.clients.authenticate(id, presented.secret));
}

export function oauthRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  // Every refusal in UAA's shape, also those raised before the route runs (an unreadable body).
  const errorHandler = (error: Error, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error) ?? storageFullError(request, error);
    if (!apiError) {
      logUnexpectedError(request, error);
      return oauthError(reply, 500, 'server_error', 'An unknown error occurred.');
    }
    // Failed-login limit: UAA's shape, with the rate limit headers the onError hook has set.
    if (apiError.errorName === 'TooManyRequests') return oauthError(reply, apiError.status, 'too_many_requests', apiError.detail);
    return oauthError(reply, apiError.status, apiError.status >= 500 ? 'temporarily_unavailable' : 'invalid_request', apiError.detail);
  };

  // The error handler returns the reply it sent, as Fastify allows (a reply is thenable, hence the rule).
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  app.post('/oauth/token', { config: { public: true }, errorHandler }, async (request, reply) => {
    const form = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, string>;
    const client = await authenticatedClient(ctx, request.ip, presentedClient(request.headers.authorization, form));
    if (!client) return oauthError(reply, 401, 'unauthorized', 'Bad credentials');
    const grant = form.grant_type;
    if (typeof grant !== 'string' || grant === '') return oauthError(reply, 400, 'invalid_request', 'Missing grant type');
    if (!(GRANT_TYPES as readonly string[]).includes(grant))
      return oauthError(reply, 400, 'unsupported_grant_type', `Unsupported grant type: ${grant}`);
    // UAA's answer (AbstractTokenGranter) to a client asking for a grant it is not authorized for.
    if (!grantsOf(client).includes(grant as GrantType)) return oauthError(reply, 401, 'invalid_client', 'Unauthorized grant type');

    if (client !== CF_CLIENT) return reply.header('cache-control', 'no-store').send(await logInClient(credentialsOf(ctx, request), client));

    if (grant === 'password') {
      if (typeof form.username !== 'string' || typeof form.password !== 'string') {
        return oauthError(reply, 400, 'invalid_request', 'username and password are required');
      }
      const { username, password } = form;
      const user = await limitedLogin(ctx, request.ip, username, () => authenticate(db, username, password));
      if (!user) return oauthError(reply, 401, 'unauthorized', 'Bad credentials');
      return reply.header('cache-control', 'no-store').send(await logIn(credentialsOf(ctx, request), user));
    }

    // grant_type=refresh_token, the cf client's other grant.
    const outcome =
      typeof form.refresh_token === 'string' ? await refreshLogin(credentialsOf(ctx, request), form.refresh_token) : undefined;
    if (outcome && 'pair' in outcome) return reply.header('cache-control', 'no-store').send(outcome.pair);
    // A refresh token used twice: stolen, or a client that kept an old one. Either way the login is over.
    if (outcome?.refused === 'reused')
      request.log.warn({ ip: request.ip }, 'a used refresh token was presented again: its login is revoked');
    return oauthError(reply, 401, 'invalid_token', 'The refresh token is invalid or expired');
  });
}
