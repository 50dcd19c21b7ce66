// POST /oauth/token: UAA's password and refresh_token grants for the client `cf` (empty secret,
// sent as Basic auth by the cf CLI). Errors use UAA's own {error, error_description} shape.
// Each password login starts a refresh token family; each refresh rotates it (actions/credentials).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toApiError } from '../errors.js';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { authenticate } from '../../../auth/password-login.js';
import { logIn, refreshLogin, type CredentialContext } from '../../../actions/credentials.js';
import { logUnexpectedError } from '../../unexpected-error.js';
import { storageFullError } from '../../storage-full.js';
import { limitedLogin } from '../../rate-limits.js';

const CLIENT_ID = 'cf';

function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.status(status).header('cache-control', 'no-store').send({ error, error_description: description });
}

/** Client credentials from Basic auth or the form; the cf client has an empty secret. */
function clientOk(authorization: string | undefined, form: Record<string, string>): boolean {
  let id = form.client_id;
  let secret = form.client_secret ?? '';
  const m = /^basic\s+(\S+)$/i.exec(authorization ?? '');
  if (m) {
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    id = decodeURIComponent(colon < 0 ? decoded : decoded.slice(0, colon));
    secret = colon < 0 ? '' : decodeURIComponent(decoded.slice(colon + 1));
  }
  return (id === undefined || id === CLIENT_ID) && secret === '';
}

/** What the credential actions need of this taskd. */
export const credentialsOf = (ctx: AppContext): CredentialContext => ({ db: ctx.store.db, tokens: ctx.tokens, config: ctx.config });

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
    if (!clientOk(request.headers.authorization, form)) return oauthError(reply, 401, 'unauthorized', 'Bad credentials');

    if (form.grant_type === 'password') {
      if (typeof form.username !== 'string' || typeof form.password !== 'string') {
        return oauthError(reply, 400, 'invalid_request', 'username and password are required');
      }
      const { username, password } = form;
      const user = await limitedLogin(ctx, request.ip, username, () => authenticate(db, username, password));
      if (!user) return oauthError(reply, 401, 'unauthorized', 'Bad credentials');
      return reply.header('cache-control', 'no-store').send(await logIn(credentialsOf(ctx), user));
    }

    if (form.grant_type === 'refresh_token') {
      const outcome = typeof form.refresh_token === 'string' ? await refreshLogin(credentialsOf(ctx), form.refresh_token) : undefined;
      if (outcome && 'pair' in outcome) return reply.header('cache-control', 'no-store').send(outcome.pair);
      // A refresh token used twice: stolen, or a client that kept an old one. Either way the login is over.
      if (outcome?.refused === 'reused')
        request.log.warn({ ip: request.ip }, 'a used refresh token was presented again: its login is revoked');
      return oauthError(reply, 401, 'invalid_token', 'The refresh token is invalid or expired');
    }

    if (typeof form.grant_type !== 'string' || form.grant_type === '')
      return oauthError(reply, 400, 'invalid_request', 'Missing grant type');
    return oauthError(reply, 400, 'unsupported_grant_type', `Unsupported grant type: ${form.grant_type}`);
  });
}
