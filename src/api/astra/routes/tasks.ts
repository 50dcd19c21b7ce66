// GET /accounts/{account_id}/core/v1/tasks and /tasks/{task_id}; every other method on them is 405.
import { Readable } from 'node:stream';
// Route schemas carry @fastify/swagger's keys (tags, summary, hide) for the OpenAPI document.
import type {} from '@fastify/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import type { Permissions } from '../../../auth/permissions.js';
import { ApiError } from '../../../core/errors.js';
import { getReadableOrganization } from '../../../fetchers/organizations.js';
import { readableTask, type TaskView } from '../../../fetchers/task-query.js';
import { callerOf } from '../caller.js';
import { negotiate, TASK_LIST_MEDIA_TYPE, TASK_MEDIA_TYPE } from '../media-types.js';
import { parseAccountId, parseTaskId } from '../messages/ids.js';
import { parseTaskListQuery, type RawQuery } from '../messages/task-list-query.js';
import { encodeContinue } from '../messages/continue-token.js';
import { AstraProblem } from '../problems.js';
import { presentAstraTask } from '../presenters/task.js';
import { presentItem, presentTaskList, taskListChunks, type ListMetadata } from '../presenters/task-list.js';
import { readTaskPages } from '../task-pages.js';
import { TAGS, TaskListParams, TaskListQuerystring, TaskParams } from '../schemas.js';

const LIST_URL = '/:account_id/core/v1/tasks';
const TASK_URL = '/:account_id/core/v1/tasks/:task_id';

export function astraTaskRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  /** The account must exist and be readable; which of the two failed is not told (problem 18). */
  async function checkAccount(actor: Permissions, accountId: string): Promise<void> {
    try {
      await getReadableOrganization(db, actor, accountId);
    } catch (err) {
      if (err instanceof ApiError && err.errorName === 'ResourceNotFound') throw new AstraProblem(18);
      throw err;
    }
  }

  app.get(
    LIST_URL,
    {
      schema: {
        tags: TAGS,
        summary: 'List the tasks of an account',
        description:
          'An application/astra-tasks 1.1 collection, oldest task first; with include, each item is an array of the named fields. ' +
          'Problems: 400 (5, 6, 33), 401 (3, 4), 403 (11), 404 (18), 406 (32).',
        params: TaskListParams,
        querystring: TaskListQuerystring,
      },
    },
    async (request, reply) => {
      const actor = await callerOf(ctx, request);
      const accountId = parseAccountId(request.params.account_id);
      const query = parseTaskListQuery(request.query as RawQuery, accountId);
      const contentType = negotiate(request.headers.accept, TASK_LIST_MEDIA_TYPE);
      await checkAccount(actor, accountId);

      const pages = await readTaskPages(db, actor.readableSpaces(), query);
      const metadata = (): ListMetadata => ({
        ...(pages.next ? { continue: encodeContinue(query.fingerprint, pages.next) } : {}),
        ...(pages.total !== undefined ? { count: pages.total } : {}),
      });
      const present = (rows: TaskView[]) => rows.map((row) => presentItem(row, query.include));
      reply.type(contentType);
      if (pages.done) return presentTaskList(present(pages.first), metadata());
      async function* all() {
        yield present(pages.first);
        for await (const rows of pages.rest()) yield present(rows);
      }
      return reply.send(Readable.from(taskListChunks(all(), metadata)));
    },
  );

  app.get(
    TASK_URL,
    {
      schema: {
        tags: TAGS,
        summary: 'Show one task of an account',
        description: 'An application/astra-task 1.1 object. Problems: 400 (6, 33, 35), 401 (3, 4), 403 (11), 404 (1, 18), 406 (32).',
        params: TaskParams,
      },
    },
    async (request, reply) => {
      const actor = await callerOf(ctx, request);
      const accountId = parseAccountId(request.params.account_id);
      const taskId = parseTaskId(request.params.task_id);
      const unsupported = Object.keys(request.query as RawQuery);
      if (unsupported.length)
        throw new AstraProblem(
          6,
          unsupported.map((name) => ({ name, reason: 'is not supported for this endpoint' })),
        );
      const contentType = negotiate(request.headers.accept, TASK_MEDIA_TYPE);
      await checkAccount(actor, accountId);
      const task = await readableTask(db, actor.readableSpaces(), { guid: taskId });
      if (!task || task.organization_guid !== accountId) throw new AstraProblem(1);
      reply.type(contentType);
      return presentAstraTask(task);
    },
  );

  // Tasks are read-only in Astra: answered before any body is read or any token checked, since
  // the method is wrong for everyone.
  const methodNotSupported = async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('allow', 'GET, HEAD');
    throw new AstraProblem(69);
  };
  for (const url of [LIST_URL, TASK_URL]) {
    app.route({
      method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url,
      schema: { tags: TAGS, summary: 'Not supported: tasks are read-only (405)', hide: true },
      onRequest: methodNotSupported,
      handler: methodNotSupported,
    });
  }
}
