// Periodic upkeep every taskd node does (spec §1 and §3): completed tasks older than the cutoff
// are pruned, and PENDING tasks are expired when no runner has been alive to take them, or none
// with the memory they ask for.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { liveRunners } from '../store/runners.js';
import { deleteCompletedTasksBefore } from '../store/tasks/removal.js';
import { expirePendingTasks } from '../store/tasks/transitions.js';

/** CF fails a task that stayed PENDING this long. */
export const PENDING_EXPIRY_SECONDS = 300;
export const EXPIRED_IN_PENDING = 'Task expired in PENDING state';
export const EXPIRED_BEYOND_RUNNERS = `${EXPIRED_IN_PENDING}: no live runner has the memory_in_mb it asks for`;
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
 * The most memory a live runner could give a task, as this node's sweeps saw it over the last
 * PENDING_EXPIRY_SECONDS: a bigger task has had no runner able to take it for at least that long
 * (a runner restarting for a few seconds is not that). Undefined until this node has watched that
 * long, and while any live runner is bounded by its slots alone.
 */
export class RunnerMemoryWindow {
  private readonly seen: { at: number; largest: number | undefined }[] = [];

  constructor(private readonly since = Date.now()) {}

  /** Records what the sweep saw now (0 when no runner is alive), and answers the window's largest. */
  observe(largest: number | undefined, now = Date.now()): number | undefined {
    this.seen.push({ at: now, largest });
    const from = now - PENDING_EXPIRY_SECONDS * 1000;
    while (this.seen[0]!.at < from) this.seen.shift();
    if (this.since > from) return undefined;
    let max = 0;
    for (const { largest } of this.seen) {
      if (largest === undefined) return undefined;
      max = Math.max(max, largest);
    }
    return max;
  }
}

/**
 * In CF a task is PENDING only until its backend accepts it, and fails after 300 s. In taskd
 * PENDING also means "waiting for a free slot", which may rightly last longer, so tasks expire
 * only while no runner at all is alive to take them, or (with `window`) when they ask for more
 * memory than any runner alive over the last 300 s had. Returns how many expired.
 */
export async function expireStrandedPendingTasks(db: Kysely<Database>, leaseSeconds: number, window?: RunnerMemoryWindow): Promise<number> {
  const runners = await liveRunners(db, leaseSeconds);
  const largest = window?.observe(runners.alive ? runners.largestMemoryMb : 0);
  const before = new Date(Date.now() - PENDING_EXPIRY_SECONDS * 1000).toISOString();
  if (!runners.alive) return expirePendingTasks(db, before, EXPIRED_IN_PENDING);
  if (largest === undefined) return 0;
  return expirePendingTasks(db, before, EXPIRED_BEYOND_RUNNERS, largest);
}
