// Log cache (the part of it the cf CLI reads for `cf logs`), registered under /api/v1 where log
// cache serves its HTTP API: an app's task output as loggregator envelopes. A dialect of its own
// beside CF's, as the real one is a service of its own beside Cloud Controller: its own errors
// (log cache's, not CF's envelope) and not-found answers, with the CF API's tokens.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';
import { typed } from '../typed-app.js';
import { tokenCaller } from '../../auth/identify.js';
import { tenantLimitsOf } from '../connection-limits.js';
import { logCacheErrorBody, logCacheErrorHandler } from './errors.js';
import { identifyLogCacheCaller } from './caller.js';
import { logCacheRoutes } from './routes.js';

/** Registered under the prefix `/api/v1`. */
export const logCachePlugin: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.setErrorHandler(logCacheErrorHandler);
  // Reads only: no body is parsed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  app.setNotFoundHandler((_request, reply) => reply.status(404).type('application/json').send(logCacheErrorBody(404, 'Not Found')));

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.public || !request.routeOptions.url) return;
    // Counted against its user before the store is asked who that is, as on the CF API.
    const caller = await tokenCaller(ctx.tokens, request.headers.authorization);
    if (caller) await tenantLimitsOf(ctx).admitCaller(request, reply.raw, caller);
    request.logCacheActor = await identifyLogCacheCaller(ctx, request);
  });

  logCacheRoutes(typed(app), ctx);
};
