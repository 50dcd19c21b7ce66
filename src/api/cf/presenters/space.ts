import type { SpaceRow } from '../../../store/schema.js';
import type { PresentedMetadata } from '../../../store/metadata.js';
import { toCfTime } from '../../../core/time.js';
import { presentMetadata } from './metadata.js';

export function presentSpace(
  space: SpaceRow,
  organizationGuid: string,
  quotaGuid: string | null,
  metadata: PresentedMetadata | undefined,
  base: string,
) {
  const self = `${base}/v3/spaces/${space.guid}`;
  return {
    guid: space.guid,
    created_at: toCfTime(space.created_at),
    updated_at: toCfTime(space.updated_at),
    name: space.name,
    relationships: {
      organization: { data: { guid: organizationGuid } },
      quota: { data: quotaGuid ? { guid: quotaGuid } : null },
    },
    metadata: presentMetadata(metadata),
    links: {
      self: { href: self },
      organization: { href: `${base}/v3/organizations/${organizationGuid}` },
      features: { href: `${self}/features` },
      apply_manifest: { href: `${self}/actions/apply_manifest`, method: 'POST' },
      ...(quotaGuid ? { quota: { href: `${base}/v3/space_quotas/${quotaGuid}` } } : {}),
    },
  };
}
