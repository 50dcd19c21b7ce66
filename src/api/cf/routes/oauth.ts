// POST /oauth/token: UAA's password and refresh_token grants for the client `cf` (empty secret,
// sent as Basic auth by the cf CLI). Errors use UAA's own {error, error_description} shape.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toApiError } from '../errors.js';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { verifyPassword } from '../../../auth/passwords.js';
import { tokenScopes } from '../../../auth/scopes.js';
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
      const user = await limitedLogin(ctx, request.ip, username, async () => {
        const found = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
        return found && (await verifyPassword(password, found.password_hash)) ? found : undefined;
      });
      if (!user) return oauthError(reply, 401, 'unauthorized', 'Bad credentials');
      const scopes = tokenScopes(user.scopes.split(' ').filter(Boolean));
      return reply
        .header('cache-control', 'no-store')
        .send(await ctx.tokens.issue({ userGuid: user.guid, username: user.username, scopes }));
    }

    if (form.grant_type === 'refresh_token') {
      const claims = typeof form.refresh_token === 'string' ? await ctx.tokens.verify(form.refresh_token, 'refresh') : undefined;
      const user = claims && (await db.selectFrom('users').selectAll().where('guid', '=', claims.userGuid).executeTakeFirst());
      if (!claims || !user) return oauthError(reply, 401, 'invalid_token', 'The refresh token is invalid or expired');
      // Scopes are re-read so that a user's changed scopes take effect on the next refresh.
      const scopes = tokenScopes(user.scopes.split(' ').filter(Boolean));
      return reply
        .header('cache-control', 'no-store')
        .send(await ctx.tokens.issue({ userGuid: user.guid, username: user.username, scopes }));
    }

    if (typeof form.grant_type !== 'string' || form.grant_type === '')
      return oauthError(reply, 400, 'invalid_request', 'Missing grant type');
    return oauthError(reply, 400, 'unsupported_grant_type', `Unsupported grant type: ${form.grant_type}`);
  });
}
