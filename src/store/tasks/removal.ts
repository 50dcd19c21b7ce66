// Deleting tasks, whether pruned when old or taken with their app: their output and idempotency
// keys first; their labels, annotations and messages go with the rows, by triggers (migrations
// 003 and 004), however the rows are deleted.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { TERMINAL_STATES } from '../../core/task-states.js';

export async function deleteTasks(trx: Transaction<Database>, ids: readonly number[]): Promise<void> {
  if (!ids.length) return;
  await trx.deleteFrom('task_log_lines').where('task_id', 'in', ids).execute();
  await trx.deleteFrom('task_idempotency_keys').where('task_id', 'in', ids).execute();
  await trx.deleteFrom('tasks').where('id', 'in', ids).execute();
}

/**
 * Deletes up to `limit` SUCCEEDED/FAILED tasks last updated before the cutoff, in one transaction
 * (batches keep the write lock short). Returns how many.
 */
export async function deleteCompletedTasksBefore(db: Kysely<Database>, cutoff: string, limit: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('tasks')
      .select('id')
      .where('state', 'in', TERMINAL_STATES)
      .where('updated_at', '<', cutoff)
      .limit(limit)
      .execute();
    // Still completed: within this transaction nothing can have moved them on.
    await deleteTasks(
      trx,
      rows.map((r) => r.id),
    );
    return rows.length;
  });
}
