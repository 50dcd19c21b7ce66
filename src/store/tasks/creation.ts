// The writes of a task's creation, in the create's transaction: its app's next sequence id, its
// row, and the check of a subtask's parent under the right lock. Task create's rules are the
// action's (actions/tasks.ts); these are its statements.
import type { Insertable, Kysely } from 'kysely';
import type { Database, TaskRow, TasksTable } from '../schema.js';

/**
 * The app's next sequence id, taken with an atomic increment: the UPDATE locks the app row (on
 * PostgreSQL until commit; SQLite runs one writer at a time), so concurrent creates on one app
 * get consecutive numbers and a rolled-back create gives its number back. Undefined when the app
 * is gone.
 */
export async function takeSequenceId(trx: Kysely<Database>, appId: number): Promise<number | undefined> {
  const row = await trx
    .updateTable('apps')
    .set((eb) => ({ next_task_sequence_id: eb('next_task_sequence_id', '+', 1) }))
    .where('id', '=', appId)
    .returning('next_task_sequence_id')
    .executeTakeFirst();
  return row && row.next_task_sequence_id - 1;
}

/**
 * A subtask's parent, read after the app row is locked (takeSequenceId), and with `lock` (on
 * PostgreSQL) share-locked until commit: a cancel of the parent either committed before (and this
 * sees CANCELING) or waits for the subtask to exist and then cancels it too.
 */
export async function parentForSubtask(
  trx: Kysely<Database>,
  guid: string,
  lock: boolean,
): Promise<Pick<TaskRow, 'app_id' | 'state'> | undefined> {
  let query = trx.selectFrom('tasks').select(['app_id', 'state']).where('guid', '=', guid);
  if (lock) query = query.forShare();
  return query.executeTakeFirst();
}

export function insertTask(trx: Kysely<Database>, task: Insertable<TasksTable>): Promise<TaskRow> {
  return trx.insertInto('tasks').values(task).returningAll().executeTakeFirstOrThrow();
}
