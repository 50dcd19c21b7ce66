// CF's build object, fields in CF's order.
import type { BuildRow } from '../../../store/schema.js';
import type { PresentedMetadata } from '../../../store/metadata.js';
import { toCfTime } from '../../../core/time.js';
import { presentMetadata } from './metadata.js';

export function presentBuild(build: BuildRow, appGuid: string, metadata: PresentedMetadata | undefined, base: string) {
  // The droplet is the build's once staged, as CF shows it.
  const droplet = build.state === 'STAGED' && build.droplet_guid ? build.droplet_guid : null;
  return {
    guid: build.guid,
    created_at: toCfTime(build.created_at),
    updated_at: toCfTime(build.updated_at),
    state: build.state,
    staging_memory_in_mb: build.staging_memory_in_mb,
    staging_disk_in_mb: build.staging_disk_in_mb,
    staging_log_rate_limit_bytes_per_second: -1,
    error: build.error,
    lifecycle: { type: build.lifecycle_type, data: JSON.parse(build.lifecycle_data) as Record<string, unknown> },
    package: { guid: build.package_guid },
    droplet: droplet ? { guid: droplet } : null,
    created_by: { guid: build.created_by_guid, name: build.created_by_name, email: build.created_by_email },
    relationships: { app: { data: { guid: appGuid } } },
    metadata: presentMetadata(metadata),
    links: {
      self: { href: `${base}/v3/builds/${build.guid}` },
      app: { href: `${base}/v3/apps/${appGuid}` },
      ...(droplet ? { droplet: { href: `${base}/v3/droplets/${droplet}` } } : {}),
    },
  };
}
