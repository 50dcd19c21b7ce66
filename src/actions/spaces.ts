// Space changes: admins and the organization's managers create and delete spaces; space
// managers may also rename and label theirs.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import type { Database, SpaceRow } from '../store/schema.js';
import { applyMetadataChange, deleteMetadata } from '../store/metadata.js';
import { isUniqueViolation } from '../store/errors.js';
import type { MetadataChange } from '../core/metadata.js';
import type { SpaceInOrg } from '../fetchers/spaces.js';
import { deleteAppsWhere, removeBitsOf } from './apps-cleanup.js';
import type { DropletFiles } from '../droplets/storage.js';
import { assertWritable } from './writable.js';

export interface SpaceInput {
  name: string;
  /** Undefined when the request named none; that is an invalid organization, like an unknown one. */
  organizationGuid: string | undefined;
  metadata: MetadataChange;
}

export interface SpaceChange {
  name?: string;
  metadata: MetadataChange;
}

const INVALID_ORG = 'Invalid organization. Ensure the organization exists and you have access to it.';
const DUPLICATE = 'Name must be unique per organization';

export async function createSpace(db: Kysely<Database>, actor: Permissions, input: SpaceInput): Promise<SpaceInOrg> {
  const guid = input.organizationGuid;
  const org = guid === undefined ? undefined : await db.selectFrom('organizations').selectAll().where('guid', '=', guid).executeTakeFirst();
  if (!org || !actor.canReadOrg(org.id)) throw unprocessable(INVALID_ORG);
  if (!actor.canWriteOrg(org.id)) throw notAuthorized();
  assertWritable(actor, org);
  const now = nowIso();
  try {
    const space = await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('spaces')
        .values({
          guid: newGuid(),
          name: input.name,
          organization_id: org.id,
          quota_id: null,
          status: 'active',
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await applyMetadataChange(trx, 'space', row.id, input.metadata);
      return row;
    });
    return { space, org };
  } catch (err) {
    if (isUniqueViolation(err)) throw unprocessable(DUPLICATE);
    throw err;
  }
}

export async function updateSpace(
  db: Kysely<Database>,
  actor: Permissions,
  { space, org }: SpaceInOrg,
  change: SpaceChange,
): Promise<SpaceRow> {
  if (!actor.canManageSpaceRoles({ spaceId: space.id, organizationId: org.id })) throw notAuthorized();
  assertWritable(actor, org, space);
  try {
    return await db.transaction().execute(async (trx) => {
      let updated = space;
      if (change.name !== undefined) {
        updated = await trx
          .updateTable('spaces')
          .set({ name: change.name, updated_at: nowIso() })
          .where('id', '=', space.id)
          .returningAll()
          .executeTakeFirstOrThrow();
      }
      await applyMetadataChange(trx, 'space', space.id, change.metadata);
      return updated;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw unprocessable(DUPLICATE);
    throw err;
  }
}

/** Deletes a space with its apps; their droplets' bits are removed after commit. Answers the unfinished tasks' guids. */
export async function deleteSpace(
  db: Kysely<Database>,
  actor: Permissions,
  { space, org }: SpaceInOrg,
  files: DropletFiles,
): Promise<string[]> {
  if (!actor.canWriteOrg(org.id)) throw notAuthorized();
  assertWritable(actor, org);
  const deleted = await db.transaction().execute(async (trx) => {
    const apps = await deleteAppsWhere(trx, (qb) => qb.where('space_id', '=', space.id));
    await deleteMetadata(trx, 'space', [space.id]);
    await trx.deleteFrom('spaces').where('id', '=', space.id).execute();
    return apps;
  });
  await removeBitsOf(deleted, files);
  return deleted.activeTaskGuids;
}
