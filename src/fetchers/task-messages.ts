// A task's messages, oldest first, a page at a time. The caller has already found the task
// readable; messages are keyed by (task_id, seq), so a page is a primary-key range walk.
import type { Kysely } from 'kysely';
import type { ListQuery } from '../core/list-query.js';
import type { Database, TaskMessageRow } from '../store/schema.js';
import type { Page } from './list.js';

export async function listTaskMessages(db: Kysely<Database>, taskId: number, query: ListQuery): Promise<Page<TaskMessageRow>> {
  const [rows, count] = await Promise.all([
    db
      .selectFrom('task_messages')
      .selectAll()
      .where('task_id', '=', taskId)
      .orderBy('seq')
      .limit(query.perPage)
      .offset((query.page - 1) * query.perPage)
      .execute(),
    db
      .selectFrom('task_messages')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('task_id', '=', taskId)
      .executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

/**
 * Every message of each of these tasks, oldest first, by task id: one query for a page of tasks
 * (a primary-key range per task). The caller has already found the tasks readable.
 */
export async function messagesOfTasks(db: Kysely<Database>, taskIds: readonly number[]): Promise<Map<number, TaskMessageRow[]>> {
  const byTask = new Map<number, TaskMessageRow[]>();
  if (!taskIds.length) return byTask;
  const rows = await db.selectFrom('task_messages').selectAll().where('task_id', 'in', taskIds).orderBy('task_id').orderBy('seq').execute();
  for (const row of rows) {
    const id = Number(row.task_id);
    const list = byTask.get(id) ?? [];
    list.push(row);
    byTask.set(id, list);
  }
  return byTask;
}
