// Packages: an app's source as `cf push` uploads it, a zip. A package is created AWAITING_UPLOAD;
// its upload is accepted once the whole file has arrived (PROCESSING_UPLOAD, the received file
// reserved in the organization's droplet budget), then processed in the background: the zip is
// checked and converted to a droplet bundle (zip-bundle.ts) and the package is READY, or FAILED
// with the reason. A build stages a READY package into a droplet (builds.ts). An app keeps its
// newest READY packages (TASKD_DROPLETS_PER_APP, as for droplets); older ones become EXPIRED and
// lose their bits, as in CF.
import { stat } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import type { Logger } from '../context.js';
import { ApiError, unprocessable } from '../core/errors.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import type { Database, PackageRow } from '../store/schema.js';
import { deleteMetadata } from '../store/metadata.js';
import { findApp } from '../fetchers/apps.js';
import type { PackageInApp } from '../fetchers/packages.js';
import { BundleRejected, type BundleLimits } from '../droplets/bundle.js';
import { savePackageBundle } from '../droplets/bundle-store.js';
import type { OrgLanes } from '../droplets/org-lanes.js';
import type { PackageFiles } from '../droplets/package-files.js';
import type { DropletFiles } from '../droplets/storage.js';
import { zipToBundle } from '../droplets/zip-bundle.js';
import { assertMayWrite } from './droplets.js';
import { reserveForPackage } from './droplet-storage.js';
import { lockApp } from '../store/row-locks.js';

export type PackageState = 'AWAITING_UPLOAD' | 'PROCESSING_UPLOAD' | 'READY' | 'FAILED' | 'EXPIRED';

export interface PackageInput {
  appGuid: string;
  type: 'bits' | 'docker';
}

export interface PackageWork {
  db: Kysely<Database>;
  /** Droplet files, with the packages' bundles beside them. */
  droplets: DropletFiles;
  /** What a package's zip may expand to (the droplet limits: a package becomes one). */
  limits: BundleLimits;
  log: Logger;
  /** Keep the bundle in the database too (PostgreSQL: a build on another node reads it there). */
  keepBundle: boolean;
  orgDropletMaxBytes: number;
  /** READY packages kept per app. */
  packagesPerApp: number;
  lanes: OrgLanes;
}

const invalidApp = () => unprocessable('App is invalid. Ensure it exists and you have access to it.');

/** A new bits package, AWAITING_UPLOAD; at most `awaitingPerApp` of an app's packages await theirs. */
export async function createPackage(
  db: Kysely<Database>,
  actor: Permissions,
  input: PackageInput,
  awaitingPerApp: number,
): Promise<PackageInApp> {
  const found = await findApp(db, input.appGuid);
  if (!found || !actor.canReadSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw invalidApp();
  assertMayWrite(actor, found);
  // taskd's apps are buildpack apps: it runs no images.
  if (input.type === 'docker') throw unprocessable('Cannot create Docker package for a buildpack app.');
  if (found.app.lifecycle_type === 'docker') throw unprocessable('Cannot create bits package for a Docker app.');
  const pkg = await db.transaction().execute(async (trx) => {
    // The app's row lock (PostgreSQL) or the write lock (SQLite): creates are counted one at a time.
    await lockApp(trx, found.app.id);
    const { awaiting } = await trx
      .selectFrom('packages')
      .select((eb) => eb.fn.countAll<number | string>().as('awaiting'))
      .where('app_id', '=', found.app.id)
      .where('state', '=', 'AWAITING_UPLOAD' satisfies PackageState)
      .executeTakeFirstOrThrow();
    if (awaitingPerApp > 0 && Number(awaiting) >= awaitingPerApp)
      throw unprocessable(
        `The app has ${awaitingPerApp} packages awaiting upload, the most it may have: upload the bits of one or delete one before creating another`,
      );
    const now = nowIso();
    return trx
      .insertInto('packages')
      .values({
        guid: newGuid(),
        app_id: found.app.id,
        type: 'bits',
        state: 'AWAITING_UPLOAD' satisfies PackageState,
        error: null,
        checksum_sha256: null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  return { ...found, pkg };
}

/** Checks made before the body is read, so a doomed upload is not received at all. */
export function assertPackageUploadable(actor: Permissions, found: PackageInApp): void {
  assertMayWrite(actor, found);
  if (found.pkg.state !== 'AWAITING_UPLOAD') throw new ApiError('PackageBitsAlreadyUploaded');
}

/**
 * Starts processing: a guarded transition, so of two racing uploads exactly one is accepted; the
 * received file is reserved in the organization's budget, or the upload is refused (422) and the
 * package stays AWAITING_UPLOAD.
 */
export async function acceptPackageUpload(
  db: Kysely<Database>,
  actor: Permissions,
  found: PackageInApp,
  bits: { size: number; orgDropletMaxBytes: number },
): Promise<PackageRow> {
  assertMayWrite(actor, found);
  return db.transaction().execute(async (trx) => {
    await reserveForPackage(trx, { packageId: found.pkg.id, organizationId: found.org.id }, bits.size, bits.orgDropletMaxBytes);
    const pkg = await trx
      .updateTable('packages')
      .set({ state: 'PROCESSING_UPLOAD' satisfies PackageState, updated_at: nowIso() })
      .where('id', '=', found.pkg.id)
      .where('state', '=', 'AWAITING_UPLOAD' satisfies PackageState)
      .returningAll()
      .executeTakeFirst();
    if (!pkg) throw new ApiError('PackageBitsAlreadyUploaded');
    return pkg;
  });
}

/** The background half of an upload. Never throws: every outcome is recorded on the package. */
export async function processPackageUpload(ctx: PackageWork, work: { packageGuid: string; upload: string }): Promise<void> {
  const { db } = ctx;
  const bundle = await ctx.droplets.newIncomingFile();
  try {
    const owner = await db
      .selectFrom('packages')
      .innerJoin('apps', 'apps.id', 'packages.app_id')
      .innerJoin('spaces', 'spaces.id', 'apps.space_id')
      .select(['packages.id as packageId', 'packages.app_id as appId', 'spaces.organization_id as organizationId'])
      .where('packages.guid', '=', work.packageGuid)
      .executeTakeFirst();
    if (!owner) return;
    const expired = await ctx.lanes.run(owner.organizationId, async () => {
      const converted = await zipToBundle(work.upload, bundle, ctx.limits);
      const bundleBytes = (await stat(bundle)).size;
      await ctx.droplets.packages.install(work.packageGuid, bundle);
      try {
        return await db.transaction().execute(async (trx) => {
          const stored = bundleBytes * (ctx.keepBundle ? 2 : 1);
          await reserveForPackage(trx, owner, stored, ctx.orgDropletMaxBytes);
          const ready = await trx
            .updateTable('packages')
            .set({ state: 'READY' satisfies PackageState, checksum_sha256: converted.sha256, error: null, updated_at: nowIso() })
            .where('id', '=', owner.packageId)
            .where('state', '=', 'PROCESSING_UPLOAD' satisfies PackageState)
            .returning('id')
            .executeTakeFirst();
          // Deleted meanwhile: nothing to keep.
          if (!ready) throw new PackageGone();
          if (ctx.keepBundle) await savePackageBundle(trx, owner.packageId, ctx.droplets.packages.bundleOf(work.packageGuid));
          return expirePackages(trx, owner.appId, ctx.packagesPerApp);
        });
      } catch (err) {
        await ctx.droplets.packages.remove([work.packageGuid]);
        throw err;
      }
    });
    await ctx.droplets.packages.remove(expired);
  } catch (err) {
    if (err instanceof PackageGone) return;
    let detail: string;
    if (err instanceof ApiError) detail = err.detail;
    else if (err instanceof BundleRejected) detail = `Uploaded package file is invalid: ${err.message}`;
    else {
      ctx.log.error({ err, package: work.packageGuid }, 'package upload processing failed');
      detail = 'Package upload failed: the bits could not be stored';
    }
    await failPackage(db, work.packageGuid, detail).catch((e) => ctx.log.error({ err: e }, 'could not record a failed package upload'));
  } finally {
    await ctx.droplets.discard(work.upload).catch(() => {});
    await ctx.droplets.discard(bundle).catch(() => {});
  }
}

class PackageGone extends Error {}

async function failPackage(db: Kysely<Database>, guid: string, detail: string): Promise<void> {
  await db
    .updateTable('packages')
    .set({ state: 'FAILED' satisfies PackageState, error: detail, stored_bytes: 0, updated_at: nowIso() })
    .where('guid', '=', guid)
    .where('state', '=', 'PROCESSING_UPLOAD' satisfies PackageState)
    .execute();
}

/**
 * The app's READY packages beyond the newest `keep` become EXPIRED: their stored bundles go with
 * the transaction, their files (guids returned) once it has committed.
 */
async function expirePackages(trx: Kysely<Database>, appId: number, keep: number): Promise<string[]> {
  const old = await trx
    .selectFrom('packages')
    .select(['id', 'guid'])
    .where('app_id', '=', appId)
    .where('state', '=', 'READY' satisfies PackageState)
    .orderBy('id', 'desc')
    .offset(keep)
    .limit(1_000_000)
    .execute();
  if (!old.length) return [];
  const ids = old.map((p) => p.id);
  await trx.deleteFrom('package_bundles').where('package_id', 'in', ids).execute();
  await trx
    .updateTable('packages')
    .set({ state: 'EXPIRED' satisfies PackageState, stored_bytes: 0, updated_at: nowIso() })
    .where('id', 'in', ids)
    .execute();
  return old.map((p) => p.guid);
}

/** Deleting a package: its row, stored bundle and metadata now, its file after commit. */
export async function deletePackage(db: Kysely<Database>, actor: Permissions, found: PackageInApp, files: PackageFiles): Promise<void> {
  assertMayWrite(actor, found);
  await db.transaction().execute(async (trx) => {
    await deleteMetadata(trx, 'package', [found.pkg.id]);
    await trx.deleteFrom('packages').where('id', '=', found.pkg.id).execute();
  });
  await files.remove([found.pkg.guid]);
}

/**
 * Packages whose processing was cut off (a node stopped mid-way) are failed, once older than any
 * live processing could be; bundles on disk whose package is gone or no longer READY are removed.
 */
export async function sweepPackages(db: Kysely<Database>, files: PackageFiles, olderThanMs: number): Promise<void> {
  const cutoff = new Date(Date.now() - olderThanMs).toISOString();
  await db
    .updateTable('packages')
    .set({
      state: 'FAILED' satisfies PackageState,
      error: 'Package upload was interrupted: taskd stopped while processing it. Create a new package and upload its bits again.',
      stored_bytes: 0,
      updated_at: nowIso(),
    })
    .where('state', '=', 'PROCESSING_UPLOAD' satisfies PackageState)
    .where('updated_at', '<=', cutoff)
    .execute();
  // Only bundles as old as the cutoff: a younger one may be about to become its package's.
  const onDisk = await files.guidsOnDisk(olderThanMs);
  for (let i = 0; i < onDisk.length; i += 500) {
    const chunk = onDisk.slice(i, i + 500);
    const ready = await db
      .selectFrom('packages')
      .select('guid')
      .where('guid', 'in', chunk)
      .where('state', '=', 'READY' satisfies PackageState)
      .execute();
    const keep = new Set(ready.map((p) => p.guid));
    await files.remove(chunk.filter((guid) => !keep.has(guid)));
  }
}
