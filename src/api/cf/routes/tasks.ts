// GET /v3/tasks, GET /v3/apps/:guid/tasks, GET /v3/tasks/:guid.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import { parseListQuery, type ListQuery, type RawQuery } from '../../../core/list-query.js';
import { loadMetadata } from '../../../store/metadata.js';
import { getReadableApp } from '../../../fetchers/apps.js';
import { appTaskListSpec, getReadableTask, listAppTasks, listTasks, taskListSpec } from '../../../fetchers/tasks.js';
import type { Page } from '../../../fetchers/list.js';
import { presentTask, type TaskWithRefs } from '../presenters/task.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';

export function taskReadRoutes(app: FastifyInstance, ctx: AppContext) {
  const { db } = ctx.store;

  async function present(request: FastifyRequest, tasks: TaskWithRefs[], showCommand: boolean) {
    const metadata = await loadMetadata(db, 'task', tasks.map((t) => t.id));
    const base = baseUrl(ctx, request);
    return tasks.map((t) => presentTask(t, metadata.get(t.id), base, showCommand));
  }

  async function presentPage(request: FastifyRequest, path: string, query: ListQuery, page: Page<TaskWithRefs>, showCommand: boolean) {
    return presentList(`${baseUrl(ctx, request)}${path}`, query, page.total, await present(request, page.rows, showCommand));
  }

  // Lists never show `command`, whoever asks (spec §2).
  app.get('/v3/tasks', async (request) => {
    const query = parseListQuery(request.query as RawQuery, taskListSpec);
    return presentPage(request, '/v3/tasks', query, await listTasks(db, actorOf(request), query), false);
  });

  app.get('/v3/apps/:guid/tasks', { schema: { params: GuidParams } }, async (request) => {
    // The query is checked before the app is looked up: a bad query is 400 even for a missing app.
    const query = withoutInternalAppGuid(parseListQuery(request.query as RawQuery, appTaskListSpec));
    const { guid } = request.params as { guid: string };
    const actor = actorOf(request);
    const { app: owner, space, org } = await getReadableApp(db, actor, guid);
    const showCommand = actor.canReadSecrets({ spaceId: space.id, organizationId: org.id });
    return presentPage(request, `/v3/apps/${owner.guid}/tasks`, query, await listAppTasks(db, owner, query), showCommand);
  });

  app.get('/v3/tasks/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params as { guid: string };
    const actor = actorOf(request);
    const { task, space, org } = await getReadableTask(db, actor, guid);
    const showCommand = actor.canReadSecrets({ spaceId: space.id, organizationId: org.id });
    return (await present(request, [task], showCommand))[0];
  });
}

/**
 * `app_guid` is CF's internal carrier of the nested route's app: the path decides which app, and
 * the parameter is neither a filter nor echoed in pagination links (spec §6).
 */
function withoutInternalAppGuid(query: ListQuery): ListQuery {
  const { app_guid: _ignored, ...lists } = query.lists;
  return { ...query, lists, echo: query.echo.filter(([key]) => key !== 'app_guid') };
}
