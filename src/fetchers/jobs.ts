// Reads of jobs. A job is as visible as what it is about: global readers see every job; others see
// a job while its resource exists only if they may read that resource. Once the resource is gone
// (a delete job, or a droplet deleted mid-upload) nobody can be asked about it any more, so the
// job's guid — random, and handed only to the requester in the Location header — is what grants
// sight of it; such a job shows only its operation, state, timestamps and errors.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { Database, JobRow } from '../store/schema.js';

export interface JobView {
  job: JobRow;
  /** Whether the job's resource still exists (its link is shown only then). */
  resourceExists: boolean;
}

export async function getReadableJob(db: Kysely<Database>, actor: Permissions, guid: string): Promise<JobView> {
  const job = await db.selectFrom('jobs').selectAll().where('guid', '=', guid).executeTakeFirst();
  if (!job) throw notFound('Job');
  const access = await resourceAccess(db, actor, job.resource_type, job.resource_guid);
  if (access === 'hidden' && !actor.readsGlobally) throw notFound('Job');
  return { job, resourceExists: access !== 'gone' };
}

type Access = 'readable' | 'hidden' | 'gone';

async function resourceAccess(db: Kysely<Database>, actor: Permissions, type: string, guid: string): Promise<Access> {
  const inSpace = async (spaceId: number | undefined): Promise<Access> => {
    if (spaceId === undefined) return 'gone';
    const space = await db.selectFrom('spaces').select(['id', 'organization_id']).where('id', '=', spaceId).executeTakeFirst();
    if (!space) return 'gone';
    return actor.canReadSpace({ spaceId: space.id, organizationId: space.organization_id }) ? 'readable' : 'hidden';
  };
  switch (type) {
    case 'droplet': {
      const row = await db
        .selectFrom('droplets')
        .innerJoin('apps', 'apps.id', 'droplets.app_id')
        .select('apps.space_id')
        .where('droplets.guid', '=', guid)
        .executeTakeFirst();
      return inSpace(row?.space_id);
    }
    case 'app': {
      const row = await db.selectFrom('apps').select('space_id').where('guid', '=', guid).executeTakeFirst();
      return inSpace(row?.space_id);
    }
    case 'space': {
      const row = await db.selectFrom('spaces').select('id').where('guid', '=', guid).executeTakeFirst();
      return inSpace(row?.id);
    }
    case 'organization': {
      const row = await db.selectFrom('organizations').select('id').where('guid', '=', guid).executeTakeFirst();
      if (!row) return 'gone';
      return actor.canReadOrg(row.id) ? 'readable' : 'hidden';
    }
    case 'role': {
      const row = await db.selectFrom('roles').select(['space_id', 'organization_id']).where('guid', '=', guid).executeTakeFirst();
      if (!row) return 'gone';
      if (row.space_id !== null) return inSpace(row.space_id);
      return row.organization_id !== null && actor.canReadOrg(row.organization_id) ? 'readable' : 'hidden';
    }
    default: {
      // Kinds this file does not know yet: visible to global readers only while they exist.
      return 'hidden';
    }
  }
}
