// POST /v3/apps/:guid/tasks, cancel (POST actions/cancel and PUT cancel), PATCH /v3/tasks/:guid,
// and taskd's pause and resume (POST actions/pause, actions/resume).
// Each handler runs CF's checks in CF's order (spec §1).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import { notAuthorized } from '../../../core/errors.js';
import { loadMetadata } from '../../../store/metadata.js';
import { assertFeatureEnabled } from '../../../fetchers/feature-flags.js';
import { getReadableApp } from '../../../fetchers/apps.js';
import { findTask, getReadableTask } from '../../../fetchers/tasks.js';
import { assertWritable } from '../../../actions/writable.js';
import { createTask, requestedDroplet } from '../../../actions/tasks.js';
import { idempotencyRequestHash } from '../../../actions/task-idempotency.js';
import { cancelTask } from '../../../actions/task-cancel.js';
import { pauseTask, resumeTask } from '../../../actions/task-pause.js';
import { updateTaskMetadata } from '../../../actions/task-update.js';
import { parseIdempotencyKey, parseTaskCreate, parseTaskUpdate } from '../messages/task.js';
import { presentTask, type TaskWithRefs } from '../presenters/task.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { rateLimitHeaders, rateLimitsOf } from '../../rate-limits.js';

export function taskWriteRoutes(app: FastifyInstance, ctx: AppContext) {
  const { db } = ctx.store;

  /** Create, cancel and update answers always show the command (spec §2). */
  async function present(request: FastifyRequest, task: TaskWithRefs) {
    const metadata = await loadMetadata(db, 'task', [task.id]);
    return presentTask(task, metadata.get(task.id), baseUrl(ctx, request), true);
  }

  app.post('/v3/apps/:guid/tasks', { schema: { params: GuidParams } }, async (request, reply) => {
    const { guid } = request.params as { guid: string };
    const actor = actorOf(request);
    // Counted first, so that refused and malformed creates count too; per user, whatever token.
    // Admins are not limited, as Cloud Controller exempts them from its rate limiter.
    if (!actor.isAdmin) {
      const allowance = rateLimitsOf(ctx).taskCreates.take(actor.userGuid || `task:${actor.ownTask?.guid}`);
      if (allowance) reply.headers(rateLimitHeaders(allowance));
    }
    await assertFeatureEnabled(db, actor, 'task_creation');
    const msg = parseTaskCreate(request.body);
    // A task's own token creates only its own subtasks (the plugin has already held it to its app).
    if (actor.ownTask && msg.parentTaskGuid !== actor.ownTask.guid) throw notAuthorized();
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    const found = await getReadableApp(db, actor, guid);
    if (!actor.canWriteSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw notAuthorized();
    assertWritable(actor, found.org, found.space);
    const droplet = msg.dropletGuid === undefined ? undefined : await requestedDroplet(db, found.app, msg.dropletGuid);
    const body = await createTask({ db, config: ctx.config, signals: ctx.signals, dialect: ctx.store.dialect }, actor, {
      found,
      msg,
      requestedDroplet: droplet,
      idempotency: key === undefined ? undefined : { key, requestHash: idempotencyRequestHash(found.app.guid, request.body) },
      base: baseUrl(ctx, request),
    });
    return reply.status(202).send(body);
  });

  async function cancel(request: FastifyRequest, reply: FastifyReply) {
    const { guid } = request.params as { guid: string };
    const actor = actorOf(request);
    const found = await getReadableTask(db, actor, guid);
    const canceled = await cancelTask(db, ctx.signals, actor, found);
    return reply.status(202).send(await present(request, { ...found.task, ...canceled }));
  }
  app.post('/v3/tasks/:guid/actions/cancel', { schema: { params: GuidParams } }, cancel);
  // Deprecated in CF, kept identical.
  app.put('/v3/tasks/:guid/cancel', { schema: { params: GuidParams } }, cancel);

  // taskd extensions (spec §11): checked and answered as cancel is.
  for (const [action, act] of [['pause', pauseTask], ['resume', resumeTask]] as const) {
    app.post(`/v3/tasks/:guid/actions/${action}`, { schema: { params: GuidParams } }, async (request, reply) => {
      const { guid } = request.params as { guid: string };
      const actor = actorOf(request);
      const found = await getReadableTask(db, actor, guid);
      const changed = await act(db, ctx.signals, actor, found);
      return reply.status(202).send(await present(request, { ...found.task, ...changed }));
    });
  }

  app.patch('/v3/tasks/:guid', { schema: { params: GuidParams } }, async (request) => {
    const msg = parseTaskUpdate(request.body);
    const { guid } = request.params as { guid: string };
    const actor = actorOf(request);
    const found = await getReadableTask(db, actor, guid);
    await updateTaskMetadata(db, actor, found, msg);
    // Read again: the runner may have moved the task on meanwhile.
    const current = (await findTask(db, guid))?.task ?? found.task;
    return present(request, current);
  });
}
