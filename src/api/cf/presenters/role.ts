import type { RoleView } from '../../../fetchers/roles.js';
import { toCfTime } from '../../../core/time.js';

export function presentRole(role: RoleView, base: string) {
  const user = { href: `${base}/v3/users/${role.user_guid}` };
  return {
    guid: role.guid,
    created_at: toCfTime(role.created_at),
    updated_at: toCfTime(role.updated_at),
    type: role.type,
    relationships: {
      user: { data: { guid: role.user_guid } },
      space: { data: role.space_guid === null ? null : { guid: role.space_guid } },
      organization: { data: role.organization_guid === null ? null : { guid: role.organization_guid } },
    },
    links: {
      self: { href: `${base}/v3/roles/${role.guid}` },
      user,
      ...(role.space_guid !== null
        ? { space: { href: `${base}/v3/spaces/${role.space_guid}` } }
        : { organization: { href: `${base}/v3/organizations/${role.organization_guid}` } }),
    },
  };
}
