// Droplet changes: admins and the space's developers create droplets for buildpack apps, label
// and delete them. A deleted droplet's bits are removed after the transaction commits.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import type { Database, DropletRow } from '../store/schema.js';
import { applyMetadataChange, deleteMetadata } from '../store/metadata.js';
import type { MetadataChange } from '../core/metadata.js';
import { findApp, type AppInSpace } from '../fetchers/apps.js';
import type { DropletInApp } from '../fetchers/droplets.js';
import type { DropletFiles } from '../droplets/storage.js';
import { assertWritable } from './writable.js';
import { lockApp } from '../store/row-locks.js';

export type DropletState = 'AWAITING_UPLOAD' | 'PROCESSING_UPLOAD' | 'STAGED' | 'FAILED';

/** A new droplet of an app, awaiting its bits: the command of each process type it will offer. */
export interface DropletInput {
  appGuid: string;
  processTypes: Record<string, string>;
}

/** A droplet's labels and annotations are all that may change. */
export interface DropletChange {
  metadata: MetadataChange;
}

const noSuchApp = (guid: string) => unprocessable(`App with guid "${guid}" does not exist, or you do not have access to it.`);

/**
 * A new droplet, AWAITING_UPLOAD. At most `awaitingPerApp` of an app's droplets await their upload
 * (0: no limit): a droplet is a row whether or not bits ever come, and a client creating them in a
 * loop grew the store by thousands a minute with nothing to show for it.
 */
export async function createDroplet(
  db: Kysely<Database>,
  actor: Permissions,
  input: DropletInput,
  awaitingPerApp: number,
): Promise<DropletInApp> {
  const found = await findApp(db, input.appGuid);
  if (!found || !actor.canReadSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw noSuchApp(input.appGuid);
  assertMayWrite(actor, found);
  if (found.app.lifecycle_type === 'docker') throw unprocessable('Droplet creation is not available for apps with docker lifecycles.');
  const assertRoom = async (reader: Kysely<Database>) => {
    if (awaitingPerApp > 0 && (await awaitingUploads(reader, found.app.id)) >= awaitingPerApp)
      throw unprocessable(
        `The app has ${awaitingPerApp} droplets awaiting upload, the most it may have: upload the bits of one or delete one before creating another`,
      );
  };
  // Counted first without a lock: a client in a loop at the limit costs one query, not a transaction.
  await assertRoom(db);
  const droplet = await db.transaction().execute(async (trx) => {
    if (awaitingPerApp > 0) {
      // The app's row lock (PostgreSQL) or the write lock (SQLite): creates of one app are
      // counted again one at a time, so together they cannot pass the limit.
      await lockApp(trx, found.app.id);
      await assertRoom(trx);
    }
    return trx
      .insertInto('droplets')
      .values(newDroplet(found.app.id, 'AWAITING_UPLOAD', input.processTypes))
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  return { ...found, droplet };
}

/** A new droplet's row: no bits, no checksum yet. */
export function newDroplet(appId: number, state: DropletState, processTypes: Record<string, string>, stagedWith: string | null = null) {
  const now = nowIso();
  return {
    guid: newGuid(),
    app_id: appId,
    state,
    error: null,
    process_types: JSON.stringify(processTypes),
    execution_metadata: '',
    checksum_sha256: null,
    staged_with: stagedWith,
    created_at: now,
    updated_at: now,
  };
}

async function awaitingUploads(db: Kysely<Database>, appId: number): Promise<number> {
  const { awaiting } = await db
    .selectFrom('droplets')
    .select((eb) => eb.fn.countAll<number | string>().as('awaiting'))
    .where('app_id', '=', appId)
    .where('state', '=', 'AWAITING_UPLOAD' satisfies DropletState)
    .executeTakeFirstOrThrow();
  return Number(awaiting);
}

/** Write access to a droplet's (or an app's) space: admin or space developer, org not suspended. */
export function assertMayWrite(actor: Permissions, { space, org }: Pick<AppInSpace, 'space' | 'org'>): void {
  if (!actor.canWriteSpace({ spaceId: space.id, organizationId: org.id })) throw notAuthorized();
  assertWritable(actor, org, space);
}

/**
 * Only metadata changes. CF checks `assertMayWrite` before it validates the body, so its route
 * calls it first too; checked here again for every other caller.
 */
export async function updateDroplet(
  db: Kysely<Database>,
  actor: Permissions,
  found: DropletInApp,
  change: DropletChange,
): Promise<DropletRow> {
  assertMayWrite(actor, found);
  await db.transaction().execute((trx) => applyMetadataChange(trx, 'droplet', found.droplet.id, change.metadata));
  return found.droplet;
}

export async function deleteDroplet(db: Kysely<Database>, actor: Permissions, found: DropletInApp, files: DropletFiles): Promise<void> {
  assertMayWrite(actor, found);
  const { droplet } = found;
  await db.transaction().execute(async (trx) => {
    // An app whose current droplet goes away has none (CF nullifies the association).
    await trx.updateTable('apps').set({ current_droplet_id: null }).where('current_droplet_id', '=', droplet.id).execute();
    await deleteMetadata(trx, 'droplet', [droplet.id]);
    await trx.deleteFrom('droplets').where('id', '=', droplet.id).execute();
  });
  await files.remove([droplet.guid]);
}
