// List and get (specs/dialects.md §2.1, §2.4, §5). /rest: GET /cis/tasks with filter_spec.*
// query; /api: POST /cis/tasks?action=list with a JSON body, and (taskd extension) GET
// /cis/tasks with the /rest query. A caller sees exactly the tasks the CF API shows them.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { queryTasks, readableTask } from '../../../fetchers/task-query.js';
import { queryPairs } from '../messages/query-pairs.js';
import { parseListQuery, type ListQueryMessage } from '../messages/list-query.js';
import { parseListBody } from '../messages/list-body.js';
import { parseAction } from '../messages/action.js';
import { parseGetSpec } from '../messages/get-spec.js';
import { MAX_LISTED_TASKS, toTaskListMessage } from '../messages/task-list.js';
import { presentTaskInfo } from '../presenters/task-info.js';
import { taskIdOf, taskNotFound, VsphereError } from '../errors.js';
import { callerFor } from '../request.js';
import { ApiGetQuery, routeSchema, ListBody, ListQuery, RestGetQuery, TaskParams, actionQuery } from '../schemas.js';
import type { Wire } from '../wire.js';

export function taskReadRoutes(app: TypedApp, ctx: AppContext, wire: Wire) {
  const { db } = ctx.store;

  async function list(request: FastifyRequest, asked: ListQueryMessage) {
    const actor = callerFor(request, 'read');
    const { query, result } = toTaskListMessage(asked);
    const rows = query ? (await queryTasks(db, actor.readableSpaces(), query)).rows : [];
    if (rows.length > MAX_LISTED_TASKS) {
      throw new VsphereError('resource_inaccessible', `More than ${MAX_LISTED_TASKS} tasks match; narrow the filter_spec`, [
        String(MAX_LISTED_TASKS),
      ]);
    }
    return wire.value(wire.map(rows.map((task) => [task.guid, presentTaskInfo(task, result, wire)] as const)));
  }

  app.get(
    '/cis/tasks',
    {
      schema: routeSchema(wire.name === 'rest' ? 'List tasks' : 'List tasks by query (taskd extension of the /rest encoding)', {
        querystring: ListQuery,
      }),
    },
    async (request) => list(request, parseListQuery(queryPairs(request.url))),
  );

  if (wire.name === 'api') {
    app.post(
      '/cis/tasks',
      { schema: routeSchema('List tasks', { querystring: actionQuery(['list'], false), body: ListBody }) },
      async (request) => {
        const action = parseAction(queryPairs(request.url), 'api', ['list']);
        if (action === undefined) throw new VsphereError('invalid_argument', 'Listing tasks is POST /api/cis/tasks?action=list');
        return list(request, parseListBody(request.body));
      },
    );
  }

  app.get(
    '/cis/tasks/:task',
    {
      // params beside routeSchema's parts, whose type would not carry it to the request.
      schema: { ...routeSchema('Get a task', { querystring: wire.name === 'rest' ? RestGetQuery : ApiGetQuery }), params: TaskParams },
    },
    async (request) => {
      const spec = parseGetSpec(queryPairs(request.url), wire.name);
      const actor = callerFor(request, 'read');
      const id = taskIdOf(request.params, wire);
      const task = await readableTask(db, actor.readableSpaces(), { guid: id });
      if (!task) throw taskNotFound(id);
      return wire.value(presentTaskInfo(task, spec, wire));
    },
  );
}
