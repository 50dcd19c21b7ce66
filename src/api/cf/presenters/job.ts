// CF's job object: guid, timestamps, operation, state, errors, warnings and links (a link to the
// job's resource only while that resource exists).
import type { JobRow } from '../../../store/schema.js';
import { toCfTime } from '../../../core/time.js';

export function presentJob(job: JobRow, resourceExists: boolean, base: string) {
  return {
    guid: job.guid,
    created_at: toCfTime(job.created_at),
    updated_at: toCfTime(job.updated_at),
    operation: job.operation,
    state: job.state,
    errors: JSON.parse(job.errors) as unknown[],
    warnings: [] as unknown[],
    links: {
      self: { href: `${base}/v3/jobs/${job.guid}` },
      ...(resourceExists ? { [job.resource_type]: { href: `${base}/v3/${job.resource_type}s/${job.resource_guid}` } } : {}),
    },
  };
}
