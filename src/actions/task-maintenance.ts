// Periodic upkeep every taskd node does (spec §1 and §3): completed tasks older than the cutoff
// are pruned, and PENDING tasks are expired when no runner has been alive to take them.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { TERMINAL_STATES, TRANSITIONS } from '../core/task-states.js';
import { nowIso } from '../core/time.js';
import { anyRunnerAlive } from '../runner/heartbeat.js';

/** CF fails a task that stayed PENDING this long. */
export const PENDING_EXPIRY_SECONDS = 300;
export const EXPIRED_IN_PENDING = 'Task expired in PENDING state';
/** Pruning deletes in batches so that it never holds a long write lock. */
const PRUNE_BATCH = 1000;

/** Deletes SUCCEEDED/FAILED tasks last updated before the cutoff, with their output. Returns how many. */
export async function pruneCompletedTasks(db: Kysely<Database>, cutoffDays: number): Promise<number> {
  const cutoff = new Date(Date.now() - cutoffDays * 86_400_000).toISOString();
  let pruned = 0;
  for (;;) {
    const batch = await db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('tasks')
        .select('id')
        .where('state', 'in', TERMINAL_STATES)
        .where('updated_at', '<', cutoff)
        .limit(PRUNE_BATCH)
        .execute();
      const ids = rows.map((r) => r.id);
      if (!ids.length) return 0;
      await trx.deleteFrom('task_log_lines').where('task_id', 'in', ids).execute();
      await trx.deleteFrom('task_idempotency_keys').where('task_id', 'in', ids).execute();
      // Labels, annotations and messages go with the rows, by triggers (migrations 003 and 004).
      await trx.deleteFrom('tasks').where('id', 'in', ids).where('state', 'in', TERMINAL_STATES).execute();
      return ids.length;
    });
    pruned += batch;
    if (batch < PRUNE_BATCH) return pruned;
  }
}

/**
 * In CF a task is PENDING only until its backend accepts it, and fails after 300 s. In taskd
 * PENDING also means "waiting for a free slot", which may rightly last longer, so tasks expire
 * only while no runner at all is alive to take them. Returns how many expired.
 */
export async function expireStrandedPendingTasks(db: Kysely<Database>, leaseSeconds: number): Promise<number> {
  if (await anyRunnerAlive(db, leaseSeconds)) return 0;
  const before = new Date(Date.now() - PENDING_EXPIRY_SECONDS * 1000).toISOString();
  const now = nowIso();
  const result = await db
    .updateTable('tasks')
    .set({ state: TRANSITIONS.fail.to, failure_reason: EXPIRED_IN_PENDING, finished_at: now, updated_at: now })
    .where('state', '=', 'PENDING')
    .where('created_at', '<', before)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
