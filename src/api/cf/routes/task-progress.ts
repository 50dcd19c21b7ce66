// A task's own reports (taskd extensions, spec §11): POST /v3/tasks/:guid/progress and
// POST /v3/tasks/:guid/messages with the task's own token, and GET /v3/tasks/:guid/messages,
// paginated like CF lists, for whoever may read the task (and the task itself).
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import type { Permissions } from '../../../auth/permissions.js';
import { notFound } from '../../../core/errors.js';
import { parseListQuery, type RawQuery } from '../messages/list-query.js';
import { loadMetadata } from '../../../store/metadata.js';
import type { TaskMessageRow } from '../../../store/schema.js';
import { findTask, getReadableTask, type TaskInApp } from '../../../fetchers/tasks.js';
import { listTaskMessages } from '../../../fetchers/task-messages.js';
import { postTaskMessage, reportTaskProgress } from '../../../actions/task-progress.js';
import { parseTaskMessage, parseTaskProgress } from '../messages/task-progress.js';
import { presentTask } from '../presenters/task.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { taskMessageListSpec } from '../messages/list-specs.js';

export function presentTaskMessage(m: TaskMessageRow) {
  return { seq: m.seq, time: m.time, source: m.source, text: m.text };
}

export function taskProgressRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  /** A task reaches itself even if its creator has since lost sight of the space. */
  async function taskFor(actor: Permissions, guid: string): Promise<TaskInApp> {
    if (actor.ownTask?.guid !== guid) return getReadableTask(db, actor, guid);
    const found = await findTask(db, guid);
    if (!found) throw notFound('Task');
    return found;
  }

  app.post('/v3/tasks/:guid/progress', { schema: { params: GuidParams } }, async (request) => {
    const input = parseTaskProgress(request.body);
    const actor = actorOf(request);
    const found = await taskFor(actor, request.params.guid);
    await reportTaskProgress(db, actor, found, input);
    const current = (await findTask(db, found.task.guid)) ?? found;
    const metadata = await loadMetadata(db, 'task', [current.task.id]);
    const showCommand = actor.canReadSecrets({ spaceId: current.space.id, organizationId: current.org.id });
    return presentTask(current.task, metadata.get(current.task.id), baseUrl(ctx, request), showCommand);
  });

  app.post('/v3/tasks/:guid/messages', { schema: { params: GuidParams } }, async (request, reply) => {
    const input = parseTaskMessage(request.body);
    const actor = actorOf(request);
    const found = await taskFor(actor, request.params.guid);
    return reply.status(201).send(presentTaskMessage(await postTaskMessage(db, actor, found, input, ctx.config.taskMaxMessages)));
  });

  app.get('/v3/tasks/:guid/messages', { schema: { params: GuidParams } }, async (request) => {
    const query = parseListQuery(request.query as RawQuery, taskMessageListSpec);
    const { task } = await taskFor(actorOf(request), request.params.guid);
    const page = await listTaskMessages(db, task.id, query);
    return presentList(`${baseUrl(ctx, request)}/v3/tasks/${task.guid}/messages`, query, page.total, page.rows.map(presentTaskMessage));
  });
}
