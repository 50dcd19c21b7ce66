// CF jobs: asynchronous operations a client polls at /v3/jobs/:guid.
import type { Kysely } from 'kysely';
import type { Database, JobRow } from '../store/schema.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';

export type JobState = 'PROCESSING' | 'COMPLETE' | 'FAILED';

export async function createJob(
  db: Kysely<Database>,
  operation: string,
  resourceType: string,
  resourceGuid: string,
  state: JobState = 'PROCESSING',
): Promise<JobRow> {
  const now = nowIso();
  return db
    .insertInto('jobs')
    .values({
      guid: newGuid(),
      operation,
      state,
      errors: '[]',
      resource_type: resourceType,
      resource_guid: resourceGuid,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A job for work already done synchronously (deletes), so clients that poll still can. */
export const completedJob = (db: Kysely<Database>, operation: string, resourceType: string, resourceGuid: string) =>
  createJob(db, operation, resourceType, resourceGuid, 'COMPLETE');

export async function finishJob(db: Kysely<Database>, guid: string, state: 'COMPLETE' | 'FAILED', errors: unknown[] = []): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ state, errors: JSON.stringify(errors), updated_at: nowIso() })
    .where('guid', '=', guid)
    .execute();
}
