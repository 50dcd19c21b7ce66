// Sessions (specs/dialects.md §2.1, §2.2, §5). /rest: POST .../session creates, ?~action=get
// reads, DELETE (or ?~action=delete) ends. /api: POST /session 201, GET, DELETE 204.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import { closeSession, openSession, vsphereSessionLimits } from '../../../actions/vsphere-sessions.js';
import { parseBasicCredentials } from '../messages/credentials.js';
import { parseAction } from '../messages/action.js';
import { queryPairs } from '../messages/query-pairs.js';
import { presentSessionInfo } from '../presenters/session-info.js';
import { unauthenticated, VsphereError } from '../errors.js';
import { requireSession, SESSION_HEADER } from '../request.js';
import { actionQuery, routeSchema, sessionHeaders } from '../schemas.js';
import type { Wire } from '../wire.js';
import { limitedLogin, rateLimitHeaders } from '../../rate-limits.js';

const REST_PATH = '/com/vmware/cis/session';

export function sessionRoutes(app: FastifyInstance, ctx: AppContext, wire: Wire) {
  const { db } = ctx.store;
  const limits = vsphereSessionLimits(ctx.config);

  async function create(request: FastifyRequest, reply: FastifyReply) {
    const { username, password } = parseBasicCredentials(request.headers.authorization);
    const opened = await limitedLogin(ctx, request.ip, username, () => openSession(ctx.store, limits, username, password));
    if (!opened) throw unauthenticated('Invalid user name or password');
    // The user holds every session allowed: 429 service_unavailable (as a rate limit is answered
    // here), with Retry-After saying when the first of them expires.
    if ('exhausted' in opened) {
      const { limit, retryAt } = opened.exhausted;
      reply.headers(rateLimitHeaders({ limit, remaining: 0, resetAt: retryAt, retryAt }, Date.now()));
      throw new VsphereError(
        'service_unavailable',
        `You hold the most sessions allowed (${limit}): end one, or wait until one expires`,
        [String(limit)],
        429,
      );
    }
    // As vcsim: a browser-style client (no vmware-use-header-authn: true) gets the id as a cookie.
    if (
      wire.name === 'rest' &&
      String(request.headers['vmware-use-header-authn'] ?? '')
        .trim()
        .toLowerCase() !== 'true'
    ) {
      reply.header('set-cookie', `${SESSION_HEADER}=${opened.id}; Path=/rest; HttpOnly`);
    }
    reply.status(wire.createdStatus);
    // /api's answer is a bare JSON string, which Fastify would otherwise send as text.
    return wire.name === 'api' ? reply.type('application/json').send(JSON.stringify(opened.id)) : wire.value(opened.id);
  }

  async function get(request: FastifyRequest) {
    const { session } = await requireSession(ctx, request);
    return wire.value(presentSessionInfo(session));
  }

  async function remove(request: FastifyRequest, reply: FastifyReply) {
    const { id } = await requireSession(ctx, request);
    await closeSession(db, id);
    return reply.status(wire.voidStatus).send();
  }

  if (wire.name === 'rest') {
    // One POST path for three operations; the session is checked for get and delete only.
    app.post(
      REST_PATH,
      {
        config: { public: true },
        schema: routeSchema('Create a session (HTTP Basic), or with ~action=get read it, ~action=delete end it', {
          querystring: actionQuery(['get', 'delete'], true),
          headers: sessionHeaders,
        }),
      },
      async (request, reply) => {
        const action = parseAction(queryPairs(request.url), 'rest', ['get', 'delete']);
        if (action === 'get') return get(request);
        if (action === 'delete') return remove(request, reply);
        return create(request, reply);
      },
    );
    app.delete(REST_PATH, { schema: routeSchema('End the session', { headers: sessionHeaders }) }, async (request, reply) => {
      parseAction(queryPairs(request.url), 'rest', ['delete']);
      return remove(request, reply);
    });
    return;
  }

  app.post(
    '/session',
    { config: { public: true }, schema: routeSchema('Create a session (HTTP Basic); answers its id') },
    async (request, reply) => {
      parseAction(queryPairs(request.url), 'api', []);
      return create(request, reply);
    },
  );
  app.get('/session', { schema: routeSchema('Read the session', { headers: sessionHeaders }) }, async (request) => {
    parseAction(queryPairs(request.url), 'api', []);
    return get(request);
  });
  app.delete('/session', { schema: routeSchema('End the session', { headers: sessionHeaders }) }, async (request, reply) => {
    parseAction(queryPairs(request.url), 'api', []);
    return remove(request, reply);
  });
}
