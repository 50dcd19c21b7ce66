// Rows every taskd starts with: the feature flags and the default organization quota.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';

/** CF's feature flags with their defaults. */
export const FEATURE_FLAG_DEFAULTS: Record<string, boolean> = {
  task_creation: true,
  user_org_creation: false,
  app_bits_upload: true,
  app_scaling: true,
  unset_roles_by_username: true,
  set_roles_by_username: true,
};

export async function seed(db: Kysely<Database>): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('feature_flags')
    .values(
      Object.entries(FEATURE_FLAG_DEFAULTS).map(([name, enabled]) => ({
        name,
        enabled: enabled ? 1 : 0,
        custom_error_message: null,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  await db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('quotas')
      .select('id')
      .where('kind', '=', 'organization')
      .where('name', '=', 'default')
      .executeTakeFirst();
    if (existing) return;
    await trx
      .insertInto('quotas')
      .values({
        guid: newGuid(),
        kind: 'organization',
        name: 'default',
        organization_id: null,
        total_memory_in_mb: null,
        per_process_memory_in_mb: null,
        log_rate_limit_in_bytes_per_second: null,
        total_instances: null,
        per_app_tasks: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
}
