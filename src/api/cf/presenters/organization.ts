import type { OrganizationRow } from '../../../store/schema.js';
import type { PresentedMetadata } from '../../../store/metadata.js';
import { toCfTime } from '../../../core/time.js';
import { presentMetadata } from './metadata.js';

export function presentOrganization(org: OrganizationRow, quotaGuid: string | null, metadata: PresentedMetadata | undefined, base: string) {
  const self = `${base}/v3/organizations/${org.guid}`;
  return {
    guid: org.guid,
    created_at: toCfTime(org.created_at),
    updated_at: toCfTime(org.updated_at),
    name: org.name,
    suspended: org.suspended === 1,
    relationships: { quota: { data: quotaGuid ? { guid: quotaGuid } : null } },
    metadata: presentMetadata(metadata),
    links: {
      self: { href: self },
      domains: { href: `${self}/domains` },
      default_domain: { href: `${self}/domains/default` },
      quota: quotaGuid ? { href: `${base}/v3/organization_quotas/${quotaGuid}` } : null,
    },
  };
}
