// The vSphere Automation CIS tasks dialect (specs/dialects.md §2, §5), registered twice: under
// `/rest` (value-wrapped, maps as key/value pairs) and under `/api` (bare values). Each has its
// own error envelope, not-found answer and session check; both share routes and sessions.
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { typed, type TypedApp } from '../typed-app.js';
import { fromApiError, toVsphereError, VsphereError } from './errors.js';
import { requireSession } from './request.js';
import { apiWire, messageOf, restWire, type Wire } from './wire.js';
import { sessionRoutes } from './routes/sessions.js';
import { taskReadRoutes } from './routes/task-reads.js';
import { taskCancelRoutes } from './routes/task-cancel.js';
import { logUnexpectedError } from '../unexpected-error.js';
import { storageFullError } from '../storage-full.js';

type VsphereRoutes = (app: TypedApp, ctx: AppContext, wire: Wire) => void;

const routeGroups: VsphereRoutes[] = [sessionRoutes, taskReadRoutes, taskCancelRoutes];

function sendError(wire: Wire, reply: FastifyReply, error: VsphereError) {
  return reply
    .status(wire.errorStatus(error))
    .type('application/json')
    .send(wire.errorBody(error.type, [messageOf(error)]));
}

/** Renders any error in the wire's envelope; anything unexpected is logged and answered `error`. */
export function vsphereErrorHandler(wire: Wire) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const full = storageFullError(request, error);
    let known = toVsphereError(error) ?? (full && fromApiError(full));
    if (!known) {
      logUnexpectedError(request, error);
      known = new VsphereError('error', 'An unexpected error occurred');
    }
    return sendError(wire, reply, known);
  };
}

function vspherePlugin(wire: Wire): FastifyPluginAsync<{ ctx: AppContext }> {
  return async (app, { ctx }) => {
    app.setErrorHandler(vsphereErrorHandler(wire));
    app.setNotFoundHandler((request, reply) =>
      sendError(wire, reply, new VsphereError('not_found', `No operation ${request.method} ${request.url.split('?')[0]}`)),
    );

    // Bodies are read as text whatever their declared type, and parsed by the one route that
    // takes one (the /api list), so malformed JSON gets this dialect's invalid_argument. Clients
    // send session and cancel POSTs with a JSON content type and no body; that is no error.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config?.public || !request.routeOptions.url) return;
      await requireSession(ctx, request);
    });

    for (const group of routeGroups) group(typed(app), ctx, wire);
  };
}

export const vsphereRestPlugin = vspherePlugin(restWire);
export const vsphereApiPlugin = vspherePlugin(apiWire);
