// What a runner reads of its tasks between signals: signals are hints, and these reads are the
// truth it polls (a signal lost between nodes costs latency, never a missed cancel or pause).
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { TRANSITIONS } from '../../core/task-states.js';

/**
 * This runner's tasks that were moved to CANCELING, PAUSING or PAUSED (possibly on another
 * node), by guid. Its other tasks are RUNNING (or gone): what a resume leaves.
 */
export async function stateChangesOfRunner(db: Kysely<Database>, runnerId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('tasks')
    .select(['guid', 'state'])
    .where('runner_id', '=', runnerId)
    .where('state', 'in', [TRANSITIONS.cancel.to, TRANSITIONS.pause.to, TRANSITIONS.frozen.to])
    .execute();
  return new Map(rows.map((r) => [r.guid, r.state]));
}

/** Which of these task ids still have a row. */
export async function existingTaskIds(db: Kysely<Database>, ids: readonly number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const rows = await db.selectFrom('tasks').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}
