// Assigning an app's current droplet (admins, space developers and supporters). In the same
// transaction the app gains one process per process type of the droplet that it lacks, with CF's
// defaults: web runs 1 instance and is health-checked on its port, others 0 instances checked as
// processes; memory, disk and log rate come from taskd's configured defaults. A process's command
// is not copied: it is detected from the current droplet whenever it is read.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import type { Config } from '../config.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import type { Database, DropletRow } from '../store/schema.js';
import type { AppInSpace } from '../fetchers/apps.js';
import { assertWritable } from './writable.js';

export const UNABLE_TO_ASSIGN = 'Unable to assign current droplet. Ensure the droplet exists and belongs to this app.';

export type ProcessDefaults = Pick<Config, 'defaultMemoryInMb' | 'defaultDiskInMb' | 'defaultLogRateLimit'>;

export async function setCurrentDroplet(
  db: Kysely<Database>,
  actor: Permissions,
  { app, space, org }: AppInSpace,
  dropletGuid: string,
  defaults: ProcessDefaults,
): Promise<DropletRow> {
  if (!actor.canManageApps({ spaceId: space.id, organizationId: org.id })) throw notAuthorized();
  assertWritable(actor, org, space);
  return db.transaction().execute(async (trx) => {
    const now = nowIso();
    // Writing the app row first takes its lock (PostgreSQL) or the write lock (SQLite), so two
    // assignments to one app run one after the other and see each other's processes.
    const locked = await trx.updateTable('apps').set({ updated_at: now }).where('id', '=', app.id).returning('id').executeTakeFirst();
    if (!locked) throw unprocessable(UNABLE_TO_ASSIGN);
    const droplet = await trx
      .selectFrom('droplets')
      .selectAll()
      .where('guid', '=', dropletGuid)
      .where('app_id', '=', app.id)
      .executeTakeFirst();
    if (!droplet) throw unprocessable(UNABLE_TO_ASSIGN);
    if (droplet.state !== 'STAGED') throw unprocessable('droplet must be in staged state');
    await trx.updateTable('apps').set({ current_droplet_id: droplet.id }).where('id', '=', app.id).execute();

    const types = Object.keys(JSON.parse(droplet.process_types) as Record<string, string>);
    const existing = new Set((await trx.selectFrom('processes').select('type').where('app_id', '=', app.id).execute()).map((p) => p.type));
    for (const type of types.filter((t) => !existing.has(t))) {
      await trx
        .insertInto('processes')
        .values({
          // CF gives an app's web process the app's own guid.
          guid: type === 'web' ? app.guid : newGuid(),
          app_id: app.id,
          type,
          command: null,
          user: null,
          instances: type === 'web' ? 1 : 0,
          memory_in_mb: defaults.defaultMemoryInMb,
          disk_in_mb: defaults.defaultDiskInMb,
          log_rate_limit: defaults.defaultLogRateLimit,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['app_id', 'type']).doNothing())
        .execute();
    }
    return droplet;
  });
}
