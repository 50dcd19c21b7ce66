// POST .../cis/tasks/{task}?action=cancel (specs/dialects.md §2.1, §5) through the core's cancel,
// the one CF's cancel route uses: the same permission (space developer or supporter, admin), the
// same audit event, the runner told. /rest answers 200 with no body, /api 204.
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { getReadableTask } from '../../../fetchers/tasks.js';
import { cancelTask } from '../../../actions/task-cancel.js';
import { ApiError } from '../../../core/errors.js';
import { parseAction } from '../messages/action.js';
import { queryPairs } from '../messages/query-pairs.js';
import { taskIdOf, taskNotFound, VsphereError } from '../errors.js';
import { callerFor } from '../request.js';
import { actionQuery, routeSchema, TaskParams } from '../schemas.js';
import type { Wire } from '../wire.js';

export function taskCancelRoutes(app: TypedApp, ctx: AppContext, wire: Wire) {
  const { db } = ctx.store;

  app.post(
    '/cis/tasks/:task',
    {
      // params beside routeSchema's parts, whose type would not carry it to the request.
      schema: {
        ...routeSchema('Cancel a task (action=cancel)', { querystring: actionQuery(['cancel'], wire.name === 'rest') }),
        params: TaskParams,
      },
    },
    async (request, reply) => {
      const action = parseAction(queryPairs(request.url), wire.name, ['cancel']);
      if (action === undefined) throw new VsphereError('invalid_argument', 'Cancelling a task is POST .../cis/tasks/{task}?action=cancel');
      const actor = callerFor(request, 'write');
      const id = taskIdOf(request.params, wire);
      const found = await getReadableTask(db, actor, id).catch((err: unknown) => {
        throw err instanceof ApiError && err.errorName === 'ResourceNotFound' ? taskNotFound(id) : err;
      });
      try {
        await cancelTask(db, ctx.signals, actor, found);
      } catch (err) {
        // The core words it for CF ("Task state is X and therefore cannot be canceled"); vSphere's
        // documents say it this way.
        if (err instanceof ApiError && err.errorName === 'UnprocessableEntity') {
          throw new VsphereError('not_allowed_in_current_state', `Task ${id} has already completed or been canceled`, [id]);
        }
        throw err;
      }
      return reply.status(wire.voidStatus).send();
    },
  );
}
