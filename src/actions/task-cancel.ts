// Cancelling a task (spec §1, §3): CANCELING is committed with its audit event, then whoever runs
// the task is told to stop it and finishes it FAILED "task was cancelled". Its unfinished
// subtasks (taskd extension) are cancelled with it.
import type { Kysely, Transaction } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import { FAILURE, isTerminal, TRANSITIONS } from '../core/task-states.js';
import type { Database, TaskRow } from '../store/schema.js';
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
    const rows = await cancelTree(trx, task.id);
    const row = rows.find((r) => r.id === task.id);
    if (!row) {
      // It finished between the read and this update (and nothing was changed).
      const current = await trx.selectFrom('tasks').select('state').where('id', '=', task.id).executeTakeFirst();
      throw notCancelable(current?.state ?? task.state);
    }
    // Subtasks live in their parent's app (task creation holds them there): same app, space, org.
    for (const r of [row, ...rows.filter((r) => r !== row)]) await recordTaskEvent(trx, 'audit.app.task.cancel', actor, found, r);
    return rows;
  });

  for (const row of canceled) {
    signals.cancelRequested(row.guid);
    await finishUnclaimed(db, row.id);
  }
  return canceled.find((r) => r.id === task.id)!;
}

/** Subtasks a cancel reaches: unfinished ones. CANCELING ones are left alone, their own cancel cascaded. */
const SUBTASK_CANCEL_FROM = TRANSITIONS.cancel.from.filter((s) => s !== TRANSITIONS.cancel.to);

/**
 * Moves the task and its unfinished subtasks, theirs in turn (through finished ones too), to
 * CANCELING in one statement. One statement, not one per generation: on PostgreSQL each tasks
 * UPDATE ends by locking the task counters (migration 003), and a second UPDATE waiting for a
 * subtask row that a runner is finishing — while that runner waits for the counters — deadlocks.
 */
function cancelTree(trx: Transaction<Database>, taskId: number): Promise<TaskRow[]> {
  const now = nowIso();
  return trx
    .withRecursive('tree(guid)', (db) =>
      db
        .selectFrom('tasks')
        .select('tasks.guid')
        .where('tasks.id', '=', taskId)
        .unionAll((db) => db.selectFrom('tasks as sub').innerJoin('tree', 'tree.guid', 'sub.parent_task_guid').select('sub.guid')),
    )
    .updateTable('tasks')
    .set((eb) => ({ state: TRANSITIONS.cancel.to, cancel_requested_at: eb.fn.coalesce('cancel_requested_at', eb.val(now)), updated_at: now }))
    .where('guid', 'in', (eb) => eb.selectFrom('tree').select('tree.guid'))
    .where((eb) =>
      eb.or([
        eb.and([eb('id', '=', taskId), eb('state', 'in', TRANSITIONS.cancel.from)]),
        eb.and([eb('id', '!=', taskId), eb('state', 'in', SUBTASK_CANCEL_FROM)]),
      ]),
    )
    .returningAll()
    .execute();
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
