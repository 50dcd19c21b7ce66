// The Cloud Foundry v3 dialect: CF's error envelope, token authentication and scope gate, and
// every /v3 resource route.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { typed, type TypedApp } from '../typed-app.js';
import type { AppContext } from '../../context.js';
import { ApiError } from '../../core/errors.js';
import { identify, tokenCaller } from '../../auth/identify.js';
import { tenantLimitsOf } from '../connection-limits.js';
import type { OwnTask } from '../../auth/permissions.js';
import { cfErrorBody, cfErrorHandler } from './errors.js';
import { wantsEventStream } from './task-log-stream.js';
import { rootRoutes } from './routes/root.js';
import { oauthRoutes } from './routes/oauth.js';
import { userRoutes } from './routes/users.js';
import { uaaCredentialRoutes } from './routes/uaa-credentials.js';
import { organizationRoutes } from './routes/organizations.js';
import { spaceRoutes } from './routes/spaces.js';
import { roleRoutes } from './routes/roles.js';
import { appRoutes } from './routes/apps.js';
import { dropletRoutes } from './routes/droplets.js';
import { packageRoutes } from './routes/packages.js';
import { buildRoutes } from './routes/builds.js';
import { manifestRoutes } from './routes/manifests.js';
import { buildpackRoutes } from './routes/buildpacks.js';
import { processRoutes } from './routes/processes.js';
import { routeRoutes } from './routes/routes.js';
import { jobRoutes } from './routes/jobs.js';
import { featureFlagRoutes } from './routes/feature-flags.js';
import { quotaRoutes } from './routes/quotas.js';
import { taskReadRoutes } from './routes/tasks.js';
import { taskWriteRoutes } from './routes/task-writes.js';
import { taskLogRoutes } from './routes/task-log.js';
import { taskProgressRoutes } from './routes/task-progress.js';
import { auditEventRoutes } from './routes/audit-events.js';
import { infoRoutes } from './routes/info.js';
import { tokenKeyRoutes } from './routes/token-keys.js';
import { openIdConfigurationRoutes } from './routes/openid-configuration.js';

export type CfRoutes = (app: TypedApp, ctx: AppContext) => void;

const routeGroups: CfRoutes[] = [
  rootRoutes,
  oauthRoutes,
  uaaCredentialRoutes,
  userRoutes,
  organizationRoutes,
  spaceRoutes,
  roleRoutes,
  appRoutes,
  dropletRoutes,
  packageRoutes,
  buildRoutes,
  manifestRoutes,
  buildpackRoutes,
  processRoutes,
  routeRoutes,
  jobRoutes,
  featureFlagRoutes,
  quotaRoutes,
  taskReadRoutes,
  taskWriteRoutes,
  taskLogRoutes,
  taskProgressRoutes,
  auditEventRoutes,
  infoRoutes,
  tokenKeyRoutes,
  openIdConfigurationRoutes,
];

/**
 * What a running task's own token opens: reporting on itself and reading itself, and creating
 * subtasks in its own app (the create route also requires parent_task_guid to be the task).
 * A task token is not a user token: every other route is 403.
 */
const TASK_TOKEN_ROUTES: { method: string; url: string; param: 'taskGuid' | 'appGuid' }[] = [
  { method: 'GET', url: '/v3/tasks/:guid', param: 'taskGuid' },
  { method: 'GET', url: '/v3/tasks/:guid/messages', param: 'taskGuid' },
  { method: 'POST', url: '/v3/tasks/:guid/messages', param: 'taskGuid' },
  { method: 'POST', url: '/v3/tasks/:guid/progress', param: 'taskGuid' },
  { method: 'POST', url: '/v3/apps/:guid/tasks', param: 'appGuid' },
];

function taskTokenMay(task: OwnTask, method: string, url: string | undefined, params: unknown): boolean {
  const guid = (params as { guid?: unknown } | undefined)?.guid;
  const route = TASK_TOKEN_ROUTES.find((r) => r.method === method && r.url === url);
  return route !== undefined && guid === (route.param === 'taskGuid' ? task.guid : task.appGuid);
}

/** A request for a task's live log stream, which counts against its user's streams (connection-limits.ts). */
const opensStream = (request: FastifyRequest) =>
  request.method === 'GET' && request.routeOptions.url === '/v3/tasks/:guid/log' && wantsEventStream(request.headers.accept);

export const cfPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.setErrorHandler(cfErrorHandler);
  // CF bodies are JSON (forms only for /oauth/token, multipart only for uploads): anything else
  // is answered 415 rather than half-parsed.
  app.removeContentTypeParser('text/plain');
  app.setNotFoundHandler((_request, reply) => {
    const err = new ApiError('NotFound');
    return reply.status(404).send(cfErrorBody(err));
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.public || !request.routeOptions.url) return;
    // Counted against its user and waiting its turn before the store is asked who that is.
    const caller = await tokenCaller(ctx.tokens, request.headers.authorization);
    if (caller) await tenantLimitsOf(ctx).admitCaller(request, reply.raw, { ...caller, opensStream: opensStream(request) });
    const actor = await identify(ctx.store.db, ctx.tokens, request.headers.authorization);
    if (actor.ownTask && !taskTokenMay(actor.ownTask, request.method, request.routeOptions.url, request.params))
      throw new ApiError('NotAuthorized');
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    if (isRead ? !actor.mayRead() : !actor.mayWrite()) throw new ApiError('NotAuthorized');
    request.actor = actor;
  });

  for (const group of routeGroups) group(typed(app), ctx);
};
