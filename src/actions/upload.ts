// Uploading a droplet's bits. The request is accepted once the whole file has arrived: the
// droplet moves AWAITING_UPLOAD -> PROCESSING_UPLOAD together with a new `droplet.upload` job,
// and the answer goes out. The job then runs in the background: it checks and extracts the
// bundle, and ends with the droplet STAGED (job COMPLETE) or FAILED with the reason (job FAILED).
// Every byte counts against the organization's droplet budget (droplet-storage.ts): the received
// file from its acceptance, the expansion while it is processed; a staged droplet then makes the
// app's oldest droplets beyond the retained number go (droplet-retention.ts).
import { stat } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import type { Logger } from '../context.js';
import { ApiError, unprocessable } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import type { Database, DropletRow, JobRow } from '../store/schema.js';
import type { DropletInApp } from '../fetchers/droplets.js';
import type { BundleLimits } from '../droplets/bundle.js';
import { BundleRejected, BundleTooLarge, type ExtractedBundle } from '../droplets/bundle.js';
import { saveBundle } from '../droplets/bundle-store.js';
import type { OrgLanes } from '../droplets/org-lanes.js';
import { removeOrphanedTrees } from '../droplets/orphans.js';
import type { DropletFiles } from '../droplets/storage.js';
import { createJob } from './jobs.js';
import { assertMayWrite } from './droplets.js';
import { expireDroplets } from './droplet-retention.js';
import { settleBuild } from './builds.js';
import { dropletStorageExceeded, ownerOf, reserveExactly, roomFor, type DropletOwner } from './droplet-storage.js';

export const UPLOAD_ONLY_ONCE = 'Droplet may be uploaded only once. Create a new droplet to upload bits.';
/**
 * How long a droplet may sit in PROCESSING_UPLOAD before it counts as interrupted. Processing is
 * bounded by the uncompressed cap and takes seconds to minutes; the margin keeps uploads that
 * another node is still processing safe.
 */
export const INTERRUPTED_AFTER_MS = 15 * 60 * 1000;
/** How often each node looks for interrupted uploads. */
export const SWEEP_EVERY_MS = 5 * 60 * 1000;

export interface UploadContext {
  db: Kysely<Database>;
  files: DropletFiles;
  limits: BundleLimits;
  log: Logger;
  /** Keep the checked bundle in the database too (PostgreSQL: runner nodes elsewhere read it there). */
  keepBundle: boolean;
  /** Bytes all droplets of one organization may take (TASKD_ORG_DROPLET_MAX_MB). */
  orgDropletMaxBytes: number;
  /** Droplets kept per app besides its current one (TASKD_DROPLETS_PER_APP). */
  dropletsPerApp: number;
  /** This node's uploads, one organization's at a time. */
  lanes: OrgLanes;
  /** Told of each droplet staged here (this node's runner prepares it for its tasks). */
  staged?: (dropletGuid: string) => void;
}

/** What the received file is, and the budget it must fit in. */
export interface ReceivedBits {
  size: number;
  orgDropletMaxBytes: number;
}

/** Checks made before the body is read, so a doomed upload is not received at all. */
export function assertUploadable(actor: Permissions, found: DropletInApp): void {
  assertMayWrite(actor, found);
  if (found.droplet.state !== 'AWAITING_UPLOAD') throw unprocessable(UPLOAD_ONLY_ONCE);
}

/**
 * Starts processing: a guarded transition, so of two racing uploads exactly one is accepted. The
 * writer is checked again here for callers that did not call `assertUploadable` first. The
 * received file is reserved in the organization's budget, or the upload is refused (422) and the
 * droplet stays AWAITING_UPLOAD.
 */
export async function acceptUpload(
  db: Kysely<Database>,
  actor: Permissions,
  found: DropletInApp,
  bits: ReceivedBits,
): Promise<{ droplet: DropletRow; job: JobRow }> {
  assertMayWrite(actor, found);
  return db.transaction().execute(async (trx) => {
    const owner = { dropletId: found.droplet.id, organizationId: found.org.id };
    await reserveExactly(trx, owner, bits.size, bits.orgDropletMaxBytes);
    const droplet = await trx
      .updateTable('droplets')
      .set({ state: 'PROCESSING_UPLOAD', updated_at: nowIso() })
      .where('id', '=', found.droplet.id)
      .where('state', '=', 'AWAITING_UPLOAD')
      .returningAll()
      .executeTakeFirst();
    if (!droplet) throw unprocessable(UPLOAD_ONLY_ONCE);
    const job = await createJob(trx, 'droplet.upload', 'droplet', droplet.guid);
    return { droplet, job };
  });
}

/** A job error in CF's shape. */
function jobError(err: ApiError) {
  return {
    code: err.definition.code,
    title: err.errorName === 'UnknownError' ? err.definition.title : `CF-${err.definition.title}`,
    detail: err.detail,
  };
}

/** The background half of an upload. Never throws: every outcome is recorded on the droplet and job. */
export async function processUpload(ctx: UploadContext, work: { dropletGuid: string; jobGuid: string; upload: string }): Promise<void> {
  const { db, files } = ctx;
  try {
    let extracted: ExtractedBundle | undefined;
    let appId: number | undefined;
    try {
      const owner = await ownerOf(db, work.dropletGuid);
      if (owner) {
        appId = owner.appId;
        extracted = await ctx.lanes.run(owner.organizationId, () => extractWithinBudget(ctx, owner, work));
        // Before STAGED: a runner node elsewhere may start a task of it at once.
        if (ctx.keepBundle) await saveBundle(db, work.dropletGuid, work.upload);
      }
    } finally {
      // Gone before the job ends, so a client that sees the job finish sees no leftovers.
      await files.discard(work.upload).catch(() => {});
    }
    // Staged together with the expiry of the app's oldest droplets; the job completes once their
    // bits are gone too, so a client that sees it complete sees the app's droplets as they stay.
    const expired =
      extracted === undefined || appId === undefined
        ? undefined
        : await db.transaction().execute(async (trx) => {
            const row = await trx
              .updateTable('droplets')
              .set({ state: 'STAGED', checksum_sha256: extracted.sha256, error: null, updated_at: nowIso() })
              .where('guid', '=', work.dropletGuid)
              .where('state', '=', 'PROCESSING_UPLOAD')
              .returning('id')
              .executeTakeFirst();
            if (!row) return undefined;
            await settleBuild(trx, work.dropletGuid, { staged: true });
            return expireDroplets(trx, appId, ctx.dropletsPerApp);
          });
    if (expired === undefined) {
      // Deleted (or given up as interrupted) while its bits were being processed: the bits must not
      // outlive it, and a job already failed keeps its reason.
      await files.remove([work.dropletGuid]);
      const gone = unprocessable('The droplet was deleted before its upload was processed.');
      await settleBuild(db, work.dropletGuid, { error: gone.detail });
      await failJob(db, work.jobGuid, gone);
    } else {
      await files.remove(expired);
      await completeJob(db, work.jobGuid);
      ctx.staged?.(work.dropletGuid);
    }
  } catch (err) {
    let failure: ApiError;
    if (err instanceof ApiError) {
      failure = err;
    } else if (err instanceof BundleRejected) {
      failure = unprocessable(`Uploaded droplet file is invalid: ${err.message}`);
    } else {
      ctx.log.error({ err, droplet: work.dropletGuid }, 'droplet upload processing failed');
      failure = new ApiError('UnknownError');
    }
    await failUpload(db, work.dropletGuid, work.jobGuid, failure).catch((e) =>
      ctx.log.error({ err: e }, 'could not record a failed droplet upload'),
    );
  }
}

/**
 * Extracts the bundle within what is left of the organization's budget (up to the per-droplet cap);
 * then the droplet takes only what it really uses. An expansion beyond what the
 * budget leaves is the budget's 422, not "invalid".
 */
async function extractWithinBudget(
  ctx: UploadContext,
  owner: DropletOwner,
  work: { dropletGuid: string; upload: string },
): Promise<ExtractedBundle> {
  const bundleBytes = ctx.keepBundle ? (await stat(work.upload)).size : 0;
  const { granted, used } = await roomFor(ctx.db, owner, ctx.limits.maxBytes + bundleBytes, ctx.orgDropletMaxBytes);
  const room = granted - bundleBytes;
  // What the droplet takes from here on: settled before the lane lets the next upload measure its room.
  const settle = (bytes: number) =>
    ctx.db
      .updateTable('droplets')
      .set({ stored_bytes: bytes })
      .where('id', '=', owner.dropletId)
      .where('state', '=', 'PROCESSING_UPLOAD')
      .execute();
  try {
    if (room <= 0) throw dropletStorageExceeded(ctx.orgDropletMaxBytes, used, bundleBytes);
    const extracted = await ctx.files.install(work.dropletGuid, work.upload, { ...ctx.limits, maxBytes: room });
    await settle(extracted.diskBytes + bundleBytes);
    return extracted;
  } catch (err) {
    await settle(0);
    if (err instanceof BundleTooLarge && room < ctx.limits.maxBytes) throw dropletStorageExceeded(ctx.orgDropletMaxBytes, used, granted);
    throw err;
  }
}

async function failUpload(db: Kysely<Database>, dropletGuid: string, jobGuid: string, failure: ApiError): Promise<void> {
  const error = failure.errorName === 'UnknownError' ? 'Droplet upload failed: the bits could not be stored' : failure.detail;
  await db.transaction().execute(async (trx) => {
    await settleBuild(trx, dropletGuid, { error });
    await trx
      .updateTable('droplets')
      .set({
        state: 'FAILED',
        error,
        // A failed droplet keeps no bits, so it takes none of the budget.
        stored_bytes: 0,
        updated_at: nowIso(),
      })
      .where('guid', '=', dropletGuid)
      .where('state', '=', 'PROCESSING_UPLOAD')
      .execute();
    await failJob(trx, jobGuid, failure);
  });
}

/** Completes a job that is still PROCESSING. */
async function completeJob(db: Kysely<Database>, guid: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ state: 'COMPLETE', errors: '[]', updated_at: nowIso() })
    .where('guid', '=', guid)
    .where('state', '=', 'PROCESSING')
    .execute();
}

/** Fails a job that is still PROCESSING; one that already ended keeps its outcome. */
async function failJob(db: Kysely<Database>, guid: string, failure: ApiError): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ state: 'FAILED', errors: JSON.stringify([jobError(failure)]), updated_at: nowIso() })
    .where('guid', '=', guid)
    .where('state', '=', 'PROCESSING')
    .execute();
}

/**
 * Uploads that were being processed when a taskd stopped will never finish: their droplets become
 * FAILED and their jobs FAILED. Only those in PROCESSING_UPLOAD for longer than `olderThanMs`, so
 * uploads that a live node (this one or another) is still processing are left alone.
 */
export async function failInterruptedUploads(ctx: UploadContext, olderThanMs: number): Promise<void> {
  const cutoff = new Date(Date.now() - olderThanMs).toISOString();
  const stuck = await ctx.db
    .selectFrom('droplets')
    .select('guid')
    .where('state', '=', 'PROCESSING_UPLOAD')
    .where('updated_at', '<=', cutoff)
    .execute();
  for (const { guid } of stuck) {
    const jobs = await ctx.db
      .selectFrom('jobs')
      .select('guid')
      .where('resource_type', '=', 'droplet')
      .where('resource_guid', '=', guid)
      .where('state', '=', 'PROCESSING')
      .execute();
    const failure = unprocessable(
      'Droplet upload was interrupted: taskd stopped while processing it. Create a new droplet and upload its bits again.',
    );
    await ctx.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('droplets')
        .set({ state: 'FAILED', error: failure.detail, stored_bytes: 0, updated_at: nowIso() })
        .where('guid', '=', guid)
        .where('state', '=', 'PROCESSING_UPLOAD')
        .execute();
      await settleBuild(trx, guid, { error: failure.detail });
      for (const job of jobs) await failJob(trx, job.guid, failure);
    });
  }
  // A taskd that stopped between staging a droplet and completing its job: the droplet is whole.
  const unfinished = await ctx.db
    .selectFrom('jobs')
    .innerJoin('droplets', 'droplets.guid', 'jobs.resource_guid')
    .select('jobs.guid')
    .where('jobs.operation', '=', 'droplet.upload')
    .where('jobs.state', '=', 'PROCESSING')
    .where('droplets.state', '=', 'STAGED')
    .where('jobs.updated_at', '<=', cutoff)
    .execute();
  for (const job of unfinished) await completeJob(ctx.db, job.guid);
  await ctx.files.sweepIncoming(olderThanMs);
  await removeOrphanedTrees(ctx.db, ctx.files);
}
