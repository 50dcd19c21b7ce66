// Periodic upkeep every taskd node does (spec §1 and §3): completed tasks older than the cutoff
// are pruned, and PENDING tasks are expired when no runner has been alive to take them.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { anyRunnerAlive } from '../store/runners.js';
import { deleteCompletedTasksBefore } from '../store/tasks/removal.js';
import { expirePendingTasks } from '../store/tasks/transitions.js';

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
    const batch = await deleteCompletedTasksBefore(db, cutoff, PRUNE_BATCH);
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
  return expirePendingTasks(db, before, EXPIRED_IN_PENDING);
}
