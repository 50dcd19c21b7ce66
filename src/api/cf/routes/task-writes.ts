// POST /v3/apps/:guid/tasks, cancel (POST actions/cancel and PUT cancel), PATCH /v3/tasks/:guid,
// and taskd's pause and resume (POST actions/pause, actions/resume).
// Each handler reads CF's request and the actions check the caller's rights, in CF's order (spec §1).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { loadMetadata } from '../../../store/metadata.js';
import { getReadableApp } from '../../../fetchers/apps.js';
import { findTask, getReadableTask, type TaskInApp } from '../../../fetchers/tasks.js';
import { createTask } from '../../../actions/tasks.js';
import { idempotencyRequestHash } from '../../../actions/task-idempotency.js';
import { cancelTask } from '../../../actions/task-cancel.js';
import { pauseTask, resumeTask } from '../../../actions/task-pause.js';
import { updateTaskMetadata } from '../../../actions/task-update.js';
import { parseIdempotencyKey, parseTaskCreate, parseTaskUpdate } from '../messages/task.js';
import { presentTask } from '../presenters/task.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { rateLimitHeaders, rateLimitsOf } from '../../rate-limits.js';

export function taskWriteRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  /** Create, cancel and update answers always show the command (spec §2). */
  async function present(request: FastifyRequest, task: TaskInApp['task']) {
    const metadata = await loadMetadata(db, 'task', [task.id]);
    return presentTask(task, metadata.get(task.id), baseUrl(ctx, request), true);
  }

  app.post('/v3/apps/:guid/tasks', { schema: { params: GuidParams } }, async (request, reply) => {
    const actor = actorOf(request);
    // Counted first, so that refused and malformed creates count too; per user, whatever token.
    // Admins are not limited, as Cloud Controller exempts them from its rate limiter.
    if (!actor.isAdmin) {
      const allowance = rateLimitsOf(ctx).taskCreates.take(actor.userGuid || `task:${actor.ownTask?.guid}`);
      if (allowance) reply.headers(rateLimitHeaders(allowance));
    }
    const body = await createTask({ db, config: ctx.config, signals: ctx.signals, dialect: ctx.store.dialect }, actor, {
      input: () => parseTaskCreate(request.body),
      target: async () => {
        const key = parseIdempotencyKey(request.headers['idempotency-key']);
        const found = await getReadableApp(db, actor, request.params.guid);
        return {
          found,
          idempotency: key === undefined ? undefined : { key, requestHash: idempotencyRequestHash(found.app.guid, request.body) },
        };
      },
      // In the create's transaction, so the answer stored for an Idempotency-Key shows the task as
      // created, with its metadata. A new task has no message yet, and its droplet was found just
      // before (as CF presents a task it has just created).
      render: (task, found, metadata) => {
        const view = {
          ...task,
          app_guid: found.app.guid,
          droplet_exists: true,
          latest_message_text: null,
          latest_message_time: null,
          latest_message_source: null,
        };
        return presentTask(view, metadata, baseUrl(ctx, request), true);
      },
    });
    return reply.status(202).send(body);
  });

  async function cancel(request: FastifyRequest, reply: FastifyReply, guid: string) {
    const actor = actorOf(request);
    const found = await getReadableTask(db, actor, guid);
    const canceled = await cancelTask(db, ctx.signals, actor, found);
    return reply.status(202).send(await present(request, { ...found.task, ...canceled }));
  }
  app.post('/v3/tasks/:guid/actions/cancel', { schema: { params: GuidParams } }, (request, reply) =>
    cancel(request, reply, request.params.guid),
  );
  // Deprecated in CF, kept identical.
  app.put('/v3/tasks/:guid/cancel', { schema: { params: GuidParams } }, (request, reply) => cancel(request, reply, request.params.guid));

  // taskd extensions (spec §11): checked and answered as cancel is.
  for (const [action, act] of [
    ['pause', pauseTask],
    ['resume', resumeTask],
  ] as const) {
    app.post(`/v3/tasks/:guid/actions/${action}`, { schema: { params: GuidParams } }, async (request, reply) => {
      const actor = actorOf(request);
      const found = await getReadableTask(db, actor, request.params.guid);
      const changed = await act(db, ctx.signals, actor, found);
      return reply.status(202).send(await present(request, { ...found.task, ...changed }));
    });
  }

  app.patch('/v3/tasks/:guid', { schema: { params: GuidParams } }, async (request) => {
    const input = parseTaskUpdate(request.body);
    const { guid } = request.params;
    const actor = actorOf(request);
    const found = await getReadableTask(db, actor, guid);
    await updateTaskMetadata(db, actor, found, input);
    // Read again: the runner may have moved the task on meanwhile.
    const current = (await findTask(db, guid))?.task ?? found.task;
    return present(request, current);
  });
}
