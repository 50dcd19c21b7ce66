// GET /v3/tasks, GET /v3/apps/:guid/tasks, GET /v3/tasks/:guid.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import { loadMetadata } from '../../../store/metadata.js';
import { getReadableApp } from '../../../fetchers/apps.js';
import { queryTasks, type TaskView } from '../../../fetchers/task-query.js';
import { getReadableTask } from '../../../fetchers/tasks.js';
import type { TypedApp } from '../../typed-app.js';
import { parseListQuery, type CfListQuery, type RawQuery } from '../messages/list-query.js';
import { appTaskListSpec, cfTaskQuery, taskListSpec } from '../messages/task-list.js';
import { presentTask } from '../presenters/task.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';

export function taskReadRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  async function present(request: FastifyRequest, tasks: TaskView[], showCommand: boolean) {
    const metadata = await loadMetadata(
      db,
      'task',
      tasks.map((t) => t.id),
    );
    const base = baseUrl(ctx, request);
    return tasks.map((t) => presentTask(t, metadata.get(t.id), base, showCommand));
  }

  async function presentPage(
    request: FastifyRequest,
    path: string,
    list: CfListQuery,
    page: { rows: TaskView[]; total: number },
    showCommand: boolean,
  ) {
    return presentList(`${baseUrl(ctx, request)}${path}`, list, page.total, await present(request, page.rows, showCommand));
  }

  // Lists never show `command`, whoever asks (spec §2).
  app.get('/v3/tasks', async (request) => {
    const list = parseListQuery(request.query as RawQuery, taskListSpec);
    const page = await queryTasks(db, actorOf(request).readableSpaces(), cfTaskQuery(list));
    return presentPage(request, '/v3/tasks', list, page, false);
  });

  app.get('/v3/apps/:guid/tasks', { schema: { params: GuidParams } }, async (request) => {
    // The query is checked before the app is looked up: a bad query is 400 even for a missing app.
    const list = withoutInternalAppGuid(parseListQuery(request.query as RawQuery, appTaskListSpec));
    const actor = actorOf(request);
    const { app: owner, space, org } = await getReadableApp(db, actor, request.params.guid);
    const showCommand = actor.canReadSecrets({ spaceId: space.id, organizationId: org.id });
    const page = await queryTasks(db, actor.readableSpaces(), cfTaskQuery(list, owner.id));
    return presentPage(request, `/v3/apps/${owner.guid}/tasks`, list, page, showCommand);
  });

  app.get('/v3/tasks/:guid', { schema: { params: GuidParams } }, async (request) => {
    const actor = actorOf(request);
    const { task, space, org } = await getReadableTask(db, actor, request.params.guid);
    const showCommand = actor.canReadSecrets({ spaceId: space.id, organizationId: org.id });
    return (await present(request, [task], showCommand))[0];
  });
}

/**
 * `app_guid` is CF's internal carrier of the nested route's app: the path decides which app, and
 * the parameter is neither a filter nor echoed in pagination links (spec §6).
 */
function withoutInternalAppGuid(list: CfListQuery): CfListQuery {
  const { app_guid: _ignored, ...lists } = list.lists;
  return { ...list, lists, echo: list.echo.filter(([key]) => key !== 'app_guid') };
}
