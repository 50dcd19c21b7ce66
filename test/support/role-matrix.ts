// One logged-in caller per row of CF's role matrix (spec §8), around one org and space.
import type { Harness } from './harness.js';

export const ROLES = [
  'admin',
  'admin_read_only',
  'global_auditor',
  'org_manager',
  'org_auditor',
  'space_developer',
  'space_manager',
  'space_auditor',
  'space_supporter',
  'no_role',
] as const;
export type RoleName = (typeof ROLES)[number];

export interface RoleMatrix {
  org: any;
  space: any;
  /** Token per role. */
  tokens: Record<RoleName, string>;
  guids: Record<RoleName, string>;
}

/** Creates an org and a space and a caller for each role (the space roles in that space). */
export async function roleMatrix(h: Harness): Promise<RoleMatrix> {
  const org = await h.org();
  const space = await h.space(org.guid);
  const make = async (role: RoleName) => {
    if (role === 'admin') return h.admin;
    if (role === 'admin_read_only') return h.user(['cloud_controller.admin_read_only']);
    if (role === 'global_auditor') return h.user(['cloud_controller.global_auditor']);
    const u = await h.user();
    if (role === 'org_manager') await h.role('organization_manager', u.guid, { org: org.guid });
    else if (role === 'org_auditor') await h.role('organization_auditor', u.guid, { org: org.guid });
    else if (role !== 'no_role') await h.role(role, u.guid, { space: space.guid });
    return u;
  };
  const actors = await Promise.all(ROLES.map(make));
  const tokens = Object.fromEntries(ROLES.map((r, i) => [r, actors[i].token])) as Record<RoleName, string>;
  const guids = Object.fromEntries(ROLES.map((r, i) => [r, actors[i].guid])) as Record<RoleName, string>;
  return { org, space, tokens, guids };
}

/** Memoises one matrix per harness for the tests of a suite that only read it. */
export function sharedRoleMatrix(h: Harness): () => Promise<RoleMatrix> {
  let pending: Promise<RoleMatrix> | undefined;
  return () => (pending ??= roleMatrix(h));
}
