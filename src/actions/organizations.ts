// Organization changes. Creating one is for admins; its managers may rename, suspend and label it.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import type { Database, OrganizationRow } from '../store/schema.js';
import { applyMetadataChange, deleteMetadata } from '../store/metadata.js';
import { isUniqueViolation } from '../store/errors.js';
import type { MetadataChange } from '../core/metadata.js';
import { deleteAppsWhere, removeBitsOf } from './apps-cleanup.js';
import type { DropletFiles } from '../droplets/storage.js';

export const DEFAULT_ORG_QUOTA = 'default';

export interface OrganizationInput {
  name: string;
  suspended: boolean;
  metadata: MetadataChange;
}

/** What a request changes; an absent name or suspension stays as it is. */
export interface OrganizationChange {
  name?: string;
  suspended?: boolean;
  metadata: MetadataChange;
}

export async function createOrganization(db: Kysely<Database>, actor: Permissions, input: OrganizationInput): Promise<OrganizationRow> {
  if (!actor.isAdmin) throw notAuthorized();
  const now = nowIso();
  try {
    return await db.transaction().execute(async (trx) => {
      const quota = await trx
        .selectFrom('quotas')
        .select('id')
        .where('kind', '=', 'organization')
        .where('name', '=', DEFAULT_ORG_QUOTA)
        .executeTakeFirst();
      const org = await trx
        .insertInto('organizations')
        .values({
          guid: newGuid(),
          name: input.name,
          suspended: input.suspended ? 1 : 0,
          status: 'active',
          quota_id: quota?.id ?? null,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await applyMetadataChange(trx, 'organization', org.id, input.metadata);
      return org;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw unprocessable(`Organization '${input.name}' already exists.`);
    throw err;
  }
}

export async function updateOrganization(
  db: Kysely<Database>,
  actor: Permissions,
  org: OrganizationRow,
  change: OrganizationChange,
): Promise<OrganizationRow> {
  if (!actor.canWriteOrg(org.id)) throw notAuthorized();
  // Only admins may suspend or unsuspend: a suspended org's managers must not lift it themselves.
  if (change.suspended !== undefined && !actor.isAdmin) throw notAuthorized();
  try {
    return await db.transaction().execute(async (trx) => {
      const changes: Partial<OrganizationRow> = {};
      if (change.name !== undefined) changes.name = change.name;
      if (change.suspended !== undefined) changes.suspended = change.suspended ? 1 : 0;
      let updated = org;
      if (Object.keys(changes).length) {
        updated = await trx
          .updateTable('organizations')
          .set({ ...changes, updated_at: nowIso() })
          .where('id', '=', org.id)
          .returningAll()
          .executeTakeFirstOrThrow();
      }
      await applyMetadataChange(trx, 'organization', org.id, change.metadata);
      return updated;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw unprocessable(`Organization '${change.name}' already exists.`);
    throw err;
  }
}

/**
 * Deletes an organization with everything in it (droplet bits after commit). Admin only, as in CF.
 * Answers the guids of the tasks that were still unfinished.
 */
export async function deleteOrganization(
  db: Kysely<Database>,
  actor: Permissions,
  org: OrganizationRow,
  files: DropletFiles,
): Promise<string[]> {
  if (!actor.isAdmin) throw notAuthorized();
  const { dropletGuids, packageGuids, activeTaskGuids } = await db.transaction().execute(async (trx) => {
    const spaces = await trx.selectFrom('spaces').select('id').where('organization_id', '=', org.id).execute();
    const spaceIds = spaces.map((s) => s.id);
    const deleted = spaceIds.length ? await deleteAppsWhere(trx, (qb) => qb.where('space_id', 'in', spaceIds)) : undefined;
    await deleteMetadata(trx, 'space', spaceIds);
    await deleteMetadata(trx, 'organization', [org.id]);
    await trx.deleteFrom('quotas').where('kind', '=', 'space').where('organization_id', '=', org.id).execute();
    await trx.deleteFrom('organizations').where('id', '=', org.id).execute();
    return {
      dropletGuids: deleted?.dropletGuids ?? [],
      packageGuids: deleted?.packageGuids ?? [],
      activeTaskGuids: deleted?.activeTaskGuids ?? [],
    };
  });
  await removeBitsOf({ dropletGuids, packageGuids }, files);
  return activeTaskGuids;
}
