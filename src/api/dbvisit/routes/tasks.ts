// POST /task/list, /task/show and taskd's /task/dismiss (specs/dialects.md §3.1, §5 Dbvisit).
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { AppContext } from '../../../context.js';
import { ApiError } from '../../../core/errors.js';
import { dismissTask } from '../../../actions/task-dismiss.js';
import { eachTaskPage, readableTask, type TaskView } from '../../../fetchers/task-query.js';
import { messagesOfTasks } from '../../../fetchers/task-messages.js';
import { findTask } from '../../../fetchers/tasks.js';
import type { Database } from '../../../store/schema.js';
import { dbvisitCallerOf } from '../caller.js';
import { badRequest } from '../errors.js';
import { parseTaskIdParams, parseTaskListParams, taskListQuery } from '../messages/params.js';
import { presentDbvisitTask } from '../presenters/task.js';
import { DbvisitTaskSchema, ListBody, routeSchema, TaskIdBody, TaskListResult } from '../schemas.js';
import { dbvisitStateOf } from '../states.js';

/** Tasks presented with their messages, read for the whole page in one query. */
async function present(db: Kysely<Database>, tasks: TaskView[]) {
  const messages = await messagesOfTasks(
    db,
    tasks.map((t) => t.id),
  );
  return tasks.map((t) => presentDbvisitTask(t, messages.get(t.id) ?? []));
}

const taskNotFound = (id: number) => new ApiError('ResourceNotFound', `task ${id} not found`);

export function dbvisitTaskRoutes(app: FastifyInstance, ctx: AppContext) {
  const { db } = ctx.store;

  app.post(
    '/list',
    {
      schema: routeSchema(
        'List tasks',
        'Every task the caller may read (as the CF API shows them), newest first (task_id descending). ' +
          'configuration_id (an app id) narrows to one app; an unknown one lists nothing. Dismissed tasks only with show_hidden.',
        ListBody,
        TaskListResult,
      ),
    },
    async (request, reply) => {
      const query = taskListQuery(parseTaskListParams(request.body));
      const pages = eachTaskPage(db, dbvisitCallerOf(request, false).readableSpaces(), query);
      // The first page is read before answering, so a failing store is still a proper error;
      // the rest is streamed a page at a time, however many tasks there are.
      const first = await pages.next();
      async function* body() {
        yield '{"successful":true,"result":{"tasks":[';
        let separator = '';
        for (let page = first; !page.done; page = await pages.next()) {
          for (const task of await present(db, page.value)) {
            yield separator + JSON.stringify(task);
            separator = ',';
          }
        }
        yield ']}}';
      }
      return reply.type('application/json; charset=utf-8').send(Readable.from(body()));
    },
  );

  app.post(
    '/show',
    {
      schema: routeSchema(
        'Show a task',
        'One task by task_id; a task the caller may not read is not found.',
        TaskIdBody,
        DbvisitTaskSchema,
      ),
    },
    async (request) => {
      const { taskId } = parseTaskIdParams(request.body);
      const task = await readableTask(db, dbvisitCallerOf(request, false).readableSpaces(), { id: taskId });
      if (!task) throw taskNotFound(taskId);
      return { successful: true, result: (await present(db, [task]))[0] };
    },
  );

  app.post(
    '/dismiss',
    {
      schema: routeSchema(
        'Dismiss a finished task (taskd extension)',
        'Marks a finished (End or Failed) task Dismissed, hiding it from /task/list unless show_hidden. ' +
          "Needs the space developer role in the task's space. Dismissing it again changes nothing.",
        TaskIdBody,
        DbvisitTaskSchema,
      ),
    },
    async (request) => {
      const { taskId } = parseTaskIdParams(request.body);
      const actor = dbvisitCallerOf(request, true);
      const scope = actor.readableSpaces();
      const task = await readableTask(db, scope, { id: taskId });
      const found = task && (await findTask(db, task.guid));
      if (!task || !found) throw taskNotFound(taskId);
      if (dbvisitStateOf(task) === 'In Progress')
        throw badRequest(`task ${taskId} is In Progress: only finished tasks (End or Failed) can be dismissed`);
      await dismissTask(db, actor, found);
      const dismissed = await readableTask(db, scope, { id: taskId });
      if (!dismissed) throw taskNotFound(taskId);
      return { successful: true, result: (await present(db, [dismissed]))[0] };
    },
  );
}
