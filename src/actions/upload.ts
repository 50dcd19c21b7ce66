// Uploading a droplet's bits. The request is accepted once the whole file has arrived: the
// droplet moves AWAITING_UPLOAD -> PROCESSING_UPLOAD together with a new `droplet.upload` job,
// and the answer goes out. The job then runs in the background: it checks and extracts the
// bundle, and ends with the droplet STAGED (job COMPLETE) or FAILED with the reason (job FAILED).
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import type { Logger } from '../context.js';
import { ApiError, unprocessable } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import type { Database, DropletRow, JobRow } from '../store/schema.js';
import type { DropletInApp } from '../fetchers/droplets.js';
import type { BundleLimits } from '../droplets/bundle.js';
import { BundleRejected } from '../droplets/bundle.js';
import { saveBundle } from '../droplets/bundle-store.js';
import type { DropletFiles } from '../droplets/storage.js';
import { createJob, finishJob } from './jobs.js';
import { assertMayWrite } from './droplets.js';

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
}

/** Checks made before the body is read, so a doomed upload is not received at all. */
export function assertUploadable(actor: Permissions, found: DropletInApp): void {
  assertMayWrite(actor, found);
  if (found.droplet.state !== 'AWAITING_UPLOAD') throw unprocessable(UPLOAD_ONLY_ONCE);
}

/**
 * Starts processing: a guarded transition, so of two racing uploads exactly one is accepted. The
 * writer is checked again here for callers that did not call `assertUploadable` first.
 */
export async function acceptUpload(
  db: Kysely<Database>,
  actor: Permissions,
  found: DropletInApp,
): Promise<{ droplet: DropletRow; job: JobRow }> {
  assertMayWrite(actor, found);
  return db.transaction().execute(async (trx) => {
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
    let extracted;
    try {
      extracted = await files.install(work.dropletGuid, work.upload, ctx.limits);
      // Before STAGED: a runner node elsewhere may start a task of it at once.
      if (ctx.keepBundle) await saveBundle(db, work.dropletGuid, work.upload);
    } finally {
      // Gone before the job ends, so a client that sees the job finish sees no leftovers.
      await files.discard(work.upload).catch(() => {});
    }
    const staged = await db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('droplets')
        .set({ state: 'STAGED', checksum_sha256: extracted.sha256, error: null, updated_at: nowIso() })
        .where('guid', '=', work.dropletGuid)
        .where('state', '=', 'PROCESSING_UPLOAD')
        .returning('id')
        .executeTakeFirst();
      if (row) await finishJob(trx, work.jobGuid, 'COMPLETE');
      return row !== undefined;
    });
    if (!staged) {
      // Deleted (or given up as interrupted) while its bits were being processed: the bits must not
      // outlive it, and a job already failed keeps its reason.
      await files.remove([work.dropletGuid]);
      await failJob(db, work.jobGuid, unprocessable('The droplet was deleted before its upload was processed.'));
    }
  } catch (err) {
    let failure: ApiError;
    if (err instanceof BundleRejected) {
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

async function failUpload(db: Kysely<Database>, dropletGuid: string, jobGuid: string, failure: ApiError): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('droplets')
      .set({
        state: 'FAILED',
        error: failure.errorName === 'UnknownError' ? 'Droplet upload failed: the bits could not be stored' : failure.detail,
        updated_at: nowIso(),
      })
      .where('guid', '=', dropletGuid)
      .where('state', '=', 'PROCESSING_UPLOAD')
      .execute();
    await failJob(trx, jobGuid, failure);
  });
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
        .set({ state: 'FAILED', error: failure.detail, updated_at: nowIso() })
        .where('guid', '=', guid)
        .where('state', '=', 'PROCESSING_UPLOAD')
        .execute();
      for (const job of jobs) await failJob(trx, job.guid, failure);
    });
  }
  await ctx.files.sweepIncoming(olderThanMs);
}
