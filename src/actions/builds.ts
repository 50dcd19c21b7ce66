// Builds: staging a READY package into a new droplet. taskd has no buildpacks to run: a build
// with no buildpack or with `binary_buildpack` (Cloud Foundry's buildpack that runs an app's files
// as they are) makes the package's files the droplet; any other buildpack fails the build at once
// with a staging error naming what taskd supports. Staging is the droplet upload's processing
// (upload.ts) fed with the package's bundle: the droplet is PROCESSING_UPLOAD while the build is
// STAGING, and the transaction that stages or fails the droplet settles its build too
// (`settleBuild`), so a build never outlives its staging as STAGING.
import { stat } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { ApiError, unprocessable } from '../core/errors.js';
import { newGuid } from '../core/ids.js';
import { DEFAULT_STACK } from '../core/lifecycles.js';
import { nowIso } from '../core/time.js';
import type { BuildRow, Database, DropletRow, JobRow } from '../store/schema.js';
import { findPackage, type PackageInApp } from '../fetchers/packages.js';
import { restorePackageBundle } from '../droplets/bundle-store.js';
import type { DropletFiles } from '../droplets/storage.js';
import { createJob } from './jobs.js';
import { reserveExactly } from './droplet-storage.js';
import { assertWritable } from './writable.js';
import { newDroplet } from './droplets.js';
import { lockApp } from '../store/row-locks.js';

export type BuildState = 'STAGING' | 'STAGED' | 'FAILED';

/** The one buildpack taskd stages with. */
export const BINARY_BUILDPACK = 'binary_buildpack';

export interface BuildInput {
  packageGuid: string;
  /** Buildpacks and stack asked for; the app's lifecycle when absent. */
  buildpacks?: string[];
  stack?: string | null;
  stagingMemoryInMb?: number;
  stagingDiskInMb?: number;
}

export interface BuildDefaults {
  stagingMemoryInMb: number;
  stagingDiskInMb: number;
  orgDropletMaxBytes: number;
  keepBundle: boolean;
}

export interface StartedBuild {
  build: BuildRow;
  found: PackageInApp;
  /** The staging to run: the droplet, its upload job and the bundle file fed to it; none when the build failed at once. */
  staging?: { droplet: DropletRow; job: JobRow; upload: string };
}

const unusablePackage = () => unprocessable('Unable to use package. Ensure that the package exists and you have access to it.');

/** Why a buildpack list cannot be staged by taskd, if it cannot. */
export function unsupportedBuildpacks(buildpacks: readonly string[]): string | undefined {
  const others = buildpacks.filter((b) => b !== BINARY_BUILDPACK);
  if (!others.length) return undefined;
  return (
    `StagingError - Staging error: taskd stages with ${BINARY_BUILDPACK} only (an app's files run as they are), ` +
    `not with ${others.map((b) => JSON.stringify(b)).join(', ')}. Push with -b ${BINARY_BUILDPACK}, or name no buildpack.`
  );
}

export async function createBuild(
  db: Kysely<Database>,
  actor: Permissions,
  input: BuildInput,
  defaults: BuildDefaults,
  droplets: DropletFiles,
): Promise<StartedBuild> {
  const found = await findPackage(db, input.packageGuid);
  if (!found || !actor.canWriteSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw unusablePackage();
  assertWritable(actor, found.org, found.space);
  if (found.pkg.state !== 'READY') throw new ApiError('BadRequestReason', 'Cannot stage package whose state is not ready.');
  const appLifecycle = JSON.parse(found.app.lifecycle_data) as { buildpacks?: string[]; stack?: string | null };
  const buildpacks = input.buildpacks ?? appLifecycle.buildpacks ?? [];
  const stack = input.stack ?? appLifecycle.stack ?? DEFAULT_STACK;
  const failure = unsupportedBuildpacks(buildpacks);
  const creator = await db.selectFrom('users').select(['guid', 'username']).where('id', '=', actor.userId).executeTakeFirst();
  const now = nowIso();
  const row = {
    guid: newGuid(),
    app_id: found.app.id,
    package_guid: found.pkg.guid,
    droplet_guid: null as string | null,
    state: (failure ? 'FAILED' : 'STAGING') satisfies BuildState,
    error: failure ?? null,
    lifecycle_type: 'buildpack',
    lifecycle_data: JSON.stringify({ buildpacks, stack }),
    staging_memory_in_mb: input.stagingMemoryInMb ?? defaults.stagingMemoryInMb,
    staging_disk_in_mb: input.stagingDiskInMb ?? defaults.stagingDiskInMb,
    created_by_guid: creator?.guid ?? actor.userGuid,
    created_by_name: creator?.username ?? null,
    created_by_email: creator?.username ?? null,
    created_at: now,
    updated_at: now,
  };
  if (failure) return { found, build: await db.insertInto('builds').values(row).returningAll().executeTakeFirstOrThrow() };

  // Asked first without a lock, so a build refused for another's staging restores no bundle.
  await assertNotStaging(db, found.app.id);
  // The package's bundle becomes the droplet's upload: from this node's disk, or from the database.
  const upload = await droplets.newIncomingFile();
  try {
    const copied =
      (await droplets.packages.copyTo(found.pkg.guid, upload)) ||
      (defaults.keepBundle && (await restorePackageBundle(db, found.pkg.id, upload)));
    if (!copied) throw unprocessable('The package has no bits on this node: upload them again in a new package.');
    const { size } = await stat(upload);
    const started = await db.transaction().execute(async (trx) => {
      await lockApp(trx, found.app.id);
      await assertNotStaging(trx, found.app.id);
      const droplet = await trx
        .insertInto('droplets')
        // Staged by buildpacks that detect none: its process types come from the manifest's web process.
        .values(newDroplet(found.app.id, 'PROCESSING_UPLOAD', {}, row.lifecycle_data))
        .returningAll()
        .executeTakeFirstOrThrow();
      await reserveExactly(trx, { dropletId: droplet.id, organizationId: found.org.id }, size, defaults.orgDropletMaxBytes);
      const job = await createJob(trx, 'droplet.upload', 'droplet', droplet.guid);
      const build = await trx
        .insertInto('builds')
        .values({ ...row, droplet_guid: droplet.guid })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { build, droplet, job };
    });
    return { found, build: started.build, staging: { droplet: started.droplet, job: started.job, upload } };
  } catch (err) {
    await droplets.discard(upload);
    throw err;
  }
}

/** One build STAGING per app at a time, as in CF (checked again under the app's row lock). */
async function assertNotStaging(db: Kysely<Database>, appId: number): Promise<void> {
  const staging = await db
    .selectFrom('builds')
    .select('id')
    .where('app_id', '=', appId)
    .where('state', '=', 'STAGING' satisfies BuildState)
    .executeTakeFirst();
  if (staging) throw new ApiError('StagingInProgress');
}

/**
 * Settles the build staging into this droplet, inside the transaction that stages or fails the
 * droplet: STAGED, or FAILED with the droplet's reason as CF words a staging error.
 */
export async function settleBuild(
  trx: Kysely<Database>,
  dropletGuid: string,
  outcome: { staged: true } | { error: string },
): Promise<void> {
  await trx
    .updateTable('builds')
    .set(
      'staged' in outcome
        ? { state: 'STAGED' satisfies BuildState, updated_at: nowIso() }
        : { state: 'FAILED' satisfies BuildState, error: `StagingError - Staging error: ${outcome.error}`, updated_at: nowIso() },
    )
    .where('droplet_guid', '=', dropletGuid)
    .where('state', '=', 'STAGING' satisfies BuildState)
    .execute();
}
