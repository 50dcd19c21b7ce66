// Organization and space quotas. Limits taskd does not enforce (services, routes, domains) read
// as unlimited: null, with paid services allowed.
import type { QuotaRow } from '../../../store/schema.js';
import { toCfTime } from '../../../core/time.js';

function limits(quota: QuotaRow) {
  return {
    apps: {
      total_memory_in_mb: quota.total_memory_in_mb,
      per_process_memory_in_mb: quota.per_process_memory_in_mb,
      log_rate_limit_in_bytes_per_second: quota.log_rate_limit_in_bytes_per_second,
      total_instances: quota.total_instances,
      per_app_tasks: quota.per_app_tasks,
    },
    services: { paid_services_allowed: true, total_service_instances: null, total_service_keys: null },
    routes: { total_routes: null, total_reserved_ports: null },
  };
}

export function presentOrganizationQuota(quota: QuotaRow, organizationGuids: string[], base: string) {
  return {
    guid: quota.guid,
    created_at: toCfTime(quota.created_at),
    updated_at: toCfTime(quota.updated_at),
    name: quota.name,
    ...limits(quota),
    domains: { total_domains: null },
    relationships: { organizations: { data: organizationGuids.map((guid) => ({ guid })) } },
    links: { self: { href: `${base}/v3/organization_quotas/${quota.guid}` } },
  };
}

export function presentSpaceQuota(quota: QuotaRow, organizationGuid: string, spaceGuids: string[], base: string) {
  return {
    guid: quota.guid,
    created_at: toCfTime(quota.created_at),
    updated_at: toCfTime(quota.updated_at),
    name: quota.name,
    ...limits(quota),
    relationships: {
      organization: { data: { guid: organizationGuid } },
      spaces: { data: spaceGuids.map((guid) => ({ guid })) },
    },
    links: {
      self: { href: `${base}/v3/space_quotas/${quota.guid}` },
      organization: { href: `${base}/v3/organizations/${organizationGuid}` },
    },
  };
}

/** CF's to-many relationship body after applying a quota. */
export function presentQuotaRelationship(
  kind: 'organization_quotas' | 'space_quotas',
  quotaGuid: string,
  name: 'organizations' | 'spaces',
  guids: string[],
  base: string,
) {
  return {
    data: guids.map((guid) => ({ guid })),
    links: { self: { href: `${base}/v3/${kind}/${quotaGuid}/relationships/${name}` } },
  };
}
