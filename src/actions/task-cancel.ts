// Cancelling a task (spec §1, §3): CANCELING is committed with its audit event, then whoever runs
// the task is told to stop it and finishes it FAILED "task was cancelled".
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import { FAILURE, isTerminal, TRANSITIONS } from '../core/task-states.js';
import type { Database, TaskRow } from '../store/schema.js';
import type { TaskInApp } from '../fetchers/tasks.js';
import type { TaskSignals } from '../runner/signals.js';
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
    const now = nowIso();
    const row = await trx
      .updateTable('tasks')
      .set((eb) => ({ state: TRANSITIONS.cancel.to, cancel_requested_at: eb.fn.coalesce('cancel_requested_at', eb.val(now)), updated_at: now }))
      .where('id', '=', task.id)
      .where('state', 'in', TRANSITIONS.cancel.from)
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      // It finished between the read and this update.
      const current = await trx.selectFrom('tasks').select('state').where('id', '=', task.id).executeTakeFirst();
      throw notCancelable(current?.state ?? task.state);
    }
    await recordTaskEvent(trx, 'audit.app.task.cancel', actor, found, row);
    return row;
  });

  signals.cancelRequested(canceled.guid);
  await finishUnclaimed(db, canceled.id);
  return canceled;
}

/**
 * taskd's decision for a task cancelled before any runner claimed it: runners claim only PENDING
 * tasks, so once it is CANCELING with no runner, nobody ever would finish it. It is finished here,
 * right after the CANCELING commit, the way a runner would finish a cancelled task. A runner that
 * claimed it in the meantime has set runner_id, and the guard leaves the task to that runner.
 */
async function finishUnclaimed(db: Kysely<Database>, taskId: number): Promise<void> {
  const now = nowIso();
  await db
    .updateTable('tasks')
    .set({ state: TRANSITIONS.fail.to, failure_reason: FAILURE.cancelled, finished_at: now, updated_at: now })
    .where('id', '=', taskId)
    .where('state', '=', 'CANCELING')
    .where('runner_id', 'is', null)
    .execute();
}
