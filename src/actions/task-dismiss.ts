// Dismissing a finished task (taskd's Dbvisit extension, shown there as state "Dismissed" and
// hidden from lists unless asked for): records who dismissed it and when, with its audit event.
// Dismissal is a flag beside the state, not a state: the task stays SUCCEEDED or FAILED everywhere
// else. Dismissing an already dismissed task changes nothing and keeps who did it first.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized, notFound, unprocessable } from '../core/errors.js';
import { isTerminal } from '../core/task-states.js';
import type { Database, TaskRow } from '../store/schema.js';
import { currentTask, dismissFinishedTask } from '../store/tasks/transitions.js';
import type { TaskInApp } from '../fetchers/tasks.js';
import { recordTaskEvent } from './audit-events.js';
import { assertWritable } from './writable.js';

const notDismissable = (state: string) => unprocessable(`Task state is ${state} and therefore cannot be dismissed`);

/** Returns the task as committed dismissed (or as it already was, when dismissed before). */
export async function dismissTask(db: Kysely<Database>, actor: Permissions, found: TaskInApp): Promise<TaskRow> {
  const { task, space, org } = found;
  if (!actor.canWriteSpace({ spaceId: space.id, organizationId: org.id })) throw notAuthorized();
  assertWritable(actor, org, space);
  if (!isTerminal(task.state)) throw notDismissable(task.state);

  return db.transaction().execute(async (trx) => {
    const row = await dismissFinishedTask(trx, task.id, actor.userGuid);
    if (row) {
      await recordTaskEvent(trx, 'audit.app.task.dismiss', actor, found, row);
      return row;
    }
    // Already dismissed, or deleted since it was read (a finished task's state cannot change).
    const current = await currentTask(trx, task.id);
    if (!current) throw notFound('Task');
    return current;
  });
}
