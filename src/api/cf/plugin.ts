// The Cloud Foundry v3 dialect: CF's error envelope, token authentication and scope gate, and
// every /v3 resource route.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';
import { ApiError } from '../../core/errors.js';
import { identify } from '../../auth/identify.js';
import { cfErrorBody, cfErrorHandler } from './errors.js';
import { rootRoutes } from './routes/root.js';
import { oauthRoutes } from './routes/oauth.js';
import { userRoutes } from './routes/users.js';
import { organizationRoutes } from './routes/organizations.js';
import { spaceRoutes } from './routes/spaces.js';
import { roleRoutes } from './routes/roles.js';
import { appRoutes } from './routes/apps.js';
import { dropletRoutes } from './routes/droplets.js';
import { processRoutes } from './routes/processes.js';
import { jobRoutes } from './routes/jobs.js';
import { featureFlagRoutes } from './routes/feature-flags.js';
import { quotaRoutes } from './routes/quotas.js';
import { taskReadRoutes } from './routes/tasks.js';
import { taskWriteRoutes } from './routes/task-writes.js';
import { taskLogRoutes } from './routes/task-log.js';
import { auditEventRoutes } from './routes/audit-events.js';

export type CfRoutes = (app: FastifyInstance, ctx: AppContext) => void;

const routeGroups: CfRoutes[] = [
  rootRoutes, oauthRoutes, userRoutes, organizationRoutes, spaceRoutes, roleRoutes,
  appRoutes, dropletRoutes, processRoutes, jobRoutes, featureFlagRoutes, quotaRoutes,
  taskReadRoutes, taskWriteRoutes, taskLogRoutes, auditEventRoutes,
];

export const cfPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.setErrorHandler(cfErrorHandler);
  // CF bodies are JSON (forms only for /oauth/token, multipart only for uploads): anything else
  // is answered 415 rather than half-parsed.
  app.removeContentTypeParser('text/plain');
  app.setNotFoundHandler((_request, reply) => {
    const err = new ApiError('NotFound');
    return reply.status(404).send(cfErrorBody(err));
  });

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public || !request.routeOptions.url) return;
    const actor = await identify(ctx.store.db, ctx.tokens, request.headers.authorization);
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    if (isRead ? !actor.mayRead() : !actor.mayWrite()) throw new ApiError('NotAuthorized');
    request.actor = actor;
  });

  for (const group of routeGroups) group(app, ctx);
};
