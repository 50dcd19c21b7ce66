// The Dbvisit StandbyMP task dialect (specs/dialects.md §3, §5 Dbvisit): JSON-RPC-style POST
// calls under /task, answered in Dbvisit's {successful, result | error} envelope, authenticated
// by HTTP Basic or a CF Bearer token on every call.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';
import { identifyDbvisitCaller } from './caller.js';
import { badRequest, dbvisitErrorBody, dbvisitErrorHandler } from './errors.js';
import { dbvisitTaskRoutes } from './routes/tasks.js';

/** The paths this dialect serves (under its prefix), for telling a wrong method from an unknown path. */
const PATHS = ['/list', '/show', '/dismiss'];

/** Registered under the prefix `/task`. */
export const dbvisitPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.setErrorHandler(dbvisitErrorHandler);

  // Bodies are JSON only. An empty body is an empty call ({}), so `/task/list` needs no body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(badRequest('the request body is not valid JSON'), undefined);
    }
  });
  app.addContentTypeParser('*', (_request, _payload, done) =>
    done(badRequest('unsupported Content-Type: send application/json'), undefined),
  );

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0].slice(app.prefix.length);
    if (PATHS.includes(path)) {
      return reply
        .status(405)
        .header('allow', 'POST')
        .send(dbvisitErrorBody(`method ${request.method} is not allowed on ${app.prefix}${path}: use POST`));
    }
    return reply.status(404).send(dbvisitErrorBody(`unknown path: ${request.method} ${request.url.split('?')[0]}`));
  });

  // Authentication comes first, before the body is looked at (as for the CF API).
  app.addHook('onRequest', async (request) => {
    if (!request.routeOptions.url) return;
    request.dbvisitActor = await identifyDbvisitCaller(ctx, request);
  });

  dbvisitTaskRoutes(app, ctx);
};
