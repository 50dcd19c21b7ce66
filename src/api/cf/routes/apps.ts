// /v3/apps, /v3/apps/:guid/environment_variables and /v3/apps/:guid/env
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import type { AppRow } from '../../../store/schema.js';
import { parseListQuery, type RawQuery } from '../messages/list-query.js';
import { loadMetadata } from '../../../store/metadata.js';
import { currentDropletGuid, getAppWithReadableEnvironment, getReadableApp, listApps, type AppWithRefs } from '../../../fetchers/apps.js';
import { createApp, deleteApp, setAppState, updateApp, updateEnvironmentVariables } from '../../../actions/apps.js';
import { completedJob } from '../../../actions/jobs.js';
import { DropletFiles } from '../../../droplets/storage.js';
import { parseAppCreate, parseAppUpdate } from '../messages/app.js';
import { parseEnvironmentVariablesUpdate } from '../messages/environment-variables.js';
import { presentApp, presentEnvironmentVariables } from '../presenters/app.js';
import { presentAppEnvironment } from '../presenters/app-environment.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { APP_INCLUDES, appListSpec } from '../messages/list-specs.js';
import { listIncludes, parseShowInclude } from '../messages/include.js';
import { includedSpacesAndOrgs } from '../app-included.js';

export function appRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  async function present(request: FastifyRequest, apps: AppWithRefs[]) {
    const metadata = await loadMetadata(
      db,
      'app',
      apps.map((a) => a.id),
    );
    const base = baseUrl(ctx, request);
    return apps.map((a) => presentApp(a, a.space_guid, a.current_droplet_guid, metadata.get(a.id), base));
  }

  async function presentOne(request: FastifyRequest, found: { app: AppRow; space: { guid: string } }) {
    const droplet = await currentDropletGuid(db, found.app);
    return (await present(request, [{ ...found.app, space_guid: found.space.guid, current_droplet_guid: droplet }]))[0];
  }

  app.post('/v3/apps', async (request, reply) => {
    const msg = parseAppCreate(request.body);
    const created = await createApp(db, actorOf(request), msg, { maxEnvChars: ctx.config.maxAppEnvChars });
    return reply.status(201).send(await presentOne(request, created));
  });

  /** CC's space and organization decorators for apps: `space`, `org`, or both with `space.organization`. */
  async function withIncluded<T extends object>(request: FastifyRequest, body: T, apps: Pick<AppRow, 'space_id'>[], include: string[]) {
    const included = await includedSpacesAndOrgs(
      db,
      baseUrl(ctx, request),
      apps.map((a) => a.space_id),
      {
        spaces: include.includes('space') || include.includes('space.organization'),
        organizations: include.includes('org') || include.includes('space.organization'),
      },
    );
    return included ? { ...body, included } : body;
  }

  app.get('/v3/apps', async (request) => {
    const query = parseListQuery(request.query as RawQuery, appListSpec);
    const include = listIncludes(query, APP_INCLUDES);
    const page = await listApps(db, actorOf(request), query);
    const list = presentList(`${baseUrl(ctx, request)}/v3/apps`, query, page.total, await present(request, page.rows));
    return withIncluded(request, list, page.rows, include);
  });

  app.get('/v3/apps/:guid', { schema: { params: GuidParams } }, async (request) => {
    const include = parseShowInclude(request.query as RawQuery, APP_INCLUDES);
    const found = await getReadableApp(db, actorOf(request), request.params.guid);
    return withIncluded(request, (await presentOne(request, found))!, [found.app], include);
  });

  app.patch('/v3/apps/:guid', { schema: { params: GuidParams } }, async (request) => {
    const msg = parseAppUpdate(request.body);
    const { guid } = request.params;
    const actor = actorOf(request);
    const found = await getReadableApp(db, actor, guid);
    const updated = await updateApp(db, actor, found, msg);
    return presentOne(request, { ...found, app: updated });
  });

  for (const [action, state] of [
    ['start', 'STARTED'],
    ['restart', 'STARTED'],
    ['stop', 'STOPPED'],
  ] as const) {
    app.post(`/v3/apps/:guid/actions/${action}`, { schema: { params: GuidParams } }, async (request) => {
      const found = await getReadableApp(db, actorOf(request), request.params.guid);
      const updated = await setAppState(db, actorOf(request), found, state);
      return presentOne(request, { ...found, app: updated });
    });
  }

  app.delete('/v3/apps/:guid', { schema: { params: GuidParams } }, async (request, reply) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    const found = await getReadableApp(db, actor, guid);
    const stopped = await deleteApp(db, actor, found, new DropletFiles(ctx.config.dataDir));
    // Their rows are gone; whoever runs them stops them.
    for (const taskGuid of stopped) ctx.signals.cancelRequested(taskGuid);
    const job = await completedJob(db, 'app.delete', 'app', found.app.guid);
    return reply
      .status(202)
      .header('location', `${baseUrl(ctx, request)}/v3/jobs/${job.guid}`)
      .send();
  });

  app.get('/v3/apps/:guid/environment_variables', { schema: { params: GuidParams } }, async (request) => {
    const { app: row } = await getAppWithReadableEnvironment(db, actorOf(request), request.params.guid);
    return presentEnvironmentVariables(row.guid, JSON.parse(row.environment_variables), baseUrl(ctx, request));
  });

  app.get('/v3/apps/:guid/env', { schema: { params: GuidParams } }, async (request) => {
    const actor = actorOf(request);
    const found = await getAppWithReadableEnvironment(db, actor, request.params.guid);
    // Space supporters read the app's variables but, as in CF, not the system ones.
    const secrets = actor.canReadSecrets({ spaceId: found.space.id, organizationId: found.org.id }) ? 'show' : 'hide';
    return presentAppEnvironment(found, baseUrl(ctx, request), secrets);
  });

  app.patch('/v3/apps/:guid/environment_variables', { schema: { params: GuidParams } }, async (request) => {
    // CF validates the body before it looks the app up.
    const change = parseEnvironmentVariablesUpdate(request.body);
    const { guid } = request.params;
    const actor = actorOf(request);
    const found = await getReadableApp(db, actor, guid);
    const variables = await updateEnvironmentVariables(db, actor, found, change, { maxEnvChars: ctx.config.maxAppEnvChars });
    return presentEnvironmentVariables(found.app.guid, variables, baseUrl(ctx, request));
  });
}
