// A task's messages, oldest first, a page at a time. The caller has already found the task
// readable; messages are keyed by (task_id, seq), so a page is a primary-key range walk.
import type { Kysely } from 'kysely';
import type { ListQuery, ListSpec } from '../core/list-query.js';
import type { Database, TaskMessageRow } from '../store/schema.js';
import type { Page } from './list.js';

export const taskMessageListSpec: ListSpec = { allowed: ['page', 'per_page'] };

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
    db.selectFrom('task_messages').select((eb) => eb.fn.countAll().as('n')).where('task_id', '=', taskId).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}
