// Droplets retained per app, as Cloud Controller's BitsExpiration keeps them: when a droplet is
// staged, the app's STAGED and FAILED droplets other than its current one are kept up to the
// newest `keep` (TASKD_DROPLETS_PER_APP, CC's max_staged_droplets_stored) and older ones go. CC marks
// them EXPIRED and deletes their bits; taskd deletes the droplets outright, so rows do not pile up
// either. A droplet that an unfinished task runs is spared until a later staging finds it unused.
import { sql, type Transaction } from 'kysely';
import { ACTIVE_STATES } from '../core/task-states.js';
import type { Database } from '../store/schema.js';
import { deleteMetadata } from '../store/metadata.js';

/**
 * Deletes, in the caller's transaction, the app's droplets beyond the newest `keep`; answers their
 * guids, whose bits the caller removes once the transaction has committed.
 */
export async function expireDroplets(trx: Transaction<Database>, appId: number, keep: number): Promise<string[]> {
  // The app's row lock (PostgreSQL) or the write lock (SQLite), which a task's creation takes too
  // (for its sequence id): a task that committed first is seen below. One whose creation read
  // its droplet just before this deletes it fails to start ("unable to run"), as after DELETE.
  const app = await trx
    .updateTable('apps')
    .set({ updated_at: sql<string>`updated_at` })
    .where('id', '=', appId)
    .returning('current_droplet_id')
    .executeTakeFirst();
  if (!app) return [];
  const candidates = await trx
    .selectFrom('droplets')
    .select(['id', 'guid'])
    .where('app_id', '=', appId)
    .where('state', 'in', ['STAGED', 'FAILED'])
    .$if(app.current_droplet_id !== null, (qb) => qb.where('id', '!=', app.current_droplet_id!))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const beyond = candidates.slice(keep);
  if (!beyond.length) return [];
  const running = await trx
    .selectFrom('tasks')
    .select('droplet_guid')
    .distinct()
    .where('app_id', '=', appId)
    .where('state', 'in', ACTIVE_STATES)
    .where(
      'droplet_guid',
      'in',
      beyond.map((d) => d.guid),
    )
    .execute();
  const inUse = new Set(running.map((t) => t.droplet_guid));
  const doomed = beyond.filter((d) => !inUse.has(d.guid));
  if (!doomed.length) return [];
  const ids = doomed.map((d) => d.id);
  await deleteMetadata(trx, 'droplet', ids);
  // Their bundles (PostgreSQL) go with them: the foreign key cascades.
  await trx.deleteFrom('droplets').where('id', 'in', ids).execute();
  return doomed.map((d) => d.guid);
}
