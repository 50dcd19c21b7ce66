// Cancelling a task (spec §1, §3): CANCELING is committed with its audit event, then whoever runs
// the task is told to stop it and finishes it FAILED "task was cancelled". Its unfinished
// subtasks (taskd extension) are cancelled with it.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { isTerminal } from '../core/task-states.js';
import type { Database, TaskRow } from '../store/schema.js';
import { currentTask, failUnclaimedCancels, requestCancelOfTree } from '../store/tasks/transitions.js';
import type { TaskInApp } from '../fetchers/tasks.js';
import type { TaskSignals } from '../signals/task-signals.js';
import { recordTaskEvent } from './audit-events.js';
import { assertWritable } from './writable.js';

const notCancelable = (state: string) => unprocessable(`Task state is ${state} and therefore cannot be canceled`);

/** Returns the task as committed CANCELING (what the response shows, as in CF). */
export async function cancelTask(db: Kysely<Database>, signals: TaskSignals, actor: Permissions, found: TaskInApp): Promise<TaskRow> {
  const { task, space, org } = found;
  if (!actor.canManageApps({ spaceId: space.id, organizationId: org.id })) throw notAuthorized();
  assertWritable(actor, org, space);
  if (isTerminal(task.state)) throw notCancelable(task.state);

  const canceled = await db.transaction().execute(async (trx) => {
    const rows = await requestCancelOfTree(trx, task.id);
    const row = rows.find((r) => r.id === task.id);
    if (!row) {
      // It finished between the read and this update (and nothing was changed).
      throw notCancelable((await currentTask(trx, task.id))?.state ?? task.state);
    }
    // Subtasks live in their parent's app (task creation holds them there): same app, space, org.
    for (const r of [row, ...rows.filter((r) => r !== row)]) await recordTaskEvent(trx, 'audit.app.task.cancel', actor, found, r);
    return rows;
  });

  for (const row of canceled) {
    signals.cancelRequested(row.guid);
    // No runner claimed it (runners claim only PENDING tasks): it ends here (failUnclaimedCancels).
    await failUnclaimedCancels(db, { id: row.id });
  }
  return canceled.find((r) => r.id === task.id)!;
}
