// The writes of a task's creation, in the create's transaction: its row with its app's next
// sequence id, and the check of a subtask's parent under the right lock. Task create's rules are the
// action's (actions/tasks.ts); these are its statements.
import type { Insertable, Kysely, QueryCreator } from 'kysely';
import type { Database, TaskRow, TasksTable } from '../schema.js';
import type { DialectName } from '../database.js';

/**
 * Inserts the task with its app's next sequence id, taken by an atomic increment of the app row:
 * the UPDATE locks the row (on PostgreSQL until commit; SQLite runs one writer at a time), so
 * concurrent creates on one app get consecutive numbers and a rolled-back create gives its number
 * back. Undefined when the app is gone.
 *
 * On PostgreSQL one statement does both (the UPDATE in a WITH), so the lock is taken by the
 * statement that inserts: the creates of one app wait for each other one round trip less (issue 21
 * item 8). SQLite has no WITH for an UPDATE, and no round trips to save.
 */
export async function insertTaskInSequence(
  trx: Kysely<Database>,
  dialect: DialectName,
  task: Omit<Insertable<TasksTable>, 'sequence_id'>,
): Promise<TaskRow | undefined> {
  const next = (db: QueryCreator<Database>) =>
    db
      .updateTable('apps')
      .set((eb) => ({ next_task_sequence_id: eb('next_task_sequence_id', '+', 1) }))
      .where('id', '=', task.app_id)
      .returning((eb) => eb('next_task_sequence_id', '-', 1).as('sequence_id'));
  if (dialect === 'sqlite') {
    const taken = await next(trx).executeTakeFirst();
    return (
      taken &&
      trx
        .insertInto('tasks')
        .values({ ...task, sequence_id: taken.sequence_id })
        .returningAll()
        .executeTakeFirstOrThrow()
    );
  }
  const columns = Object.keys(task) as (keyof typeof task)[];
  return trx
    .with('next', next)
    .insertInto('tasks')
    .columns([...columns, 'sequence_id'])
    .expression((eb) => eb.selectFrom('next').select([...columns.map((c) => eb.val(task[c]).as(c)), 'next.sequence_id']))
    .returningAll()
    .executeTakeFirst();
}

/**
 * A subtask's parent, read after the app row is locked (insertTaskInSequence), and with `lock` (on
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
