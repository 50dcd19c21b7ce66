// CF's role matrix (spec §8) as the pure Permissions service answers it, one caller per row.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Permissions, type RoleGrant } from '../../src/auth/permissions.js';
import { tokenScopes } from '../../src/auth/scopes.js';

const ORG = 10;
const SPACE = 100;
const OTHER_ORG = 20;
const OTHER_SPACE = 200; // in OTHER_ORG
const here = { spaceId: SPACE, organizationId: ORG };
const elsewhere = { spaceId: OTHER_SPACE, organizationId: OTHER_ORG };
/** Another space of the same org. */
const sibling = { spaceId: 101, organizationId: ORG };

const orgGrant = (type: RoleGrant['type']): RoleGrant => ({ type, organizationId: ORG, spaceId: null });
/** Space roles come with organization_user, as CF requires; identify.ts fills in the space's org. */
const spaceGrants = (type: RoleGrant['type']): RoleGrant[] => [
  orgGrant('organization_user'),
  { type, organizationId: ORG, spaceId: SPACE },
];

const callers: Record<string, Permissions> = {
  admin: new Permissions(1, 'u1', tokenScopes(['cloud_controller.admin']), []),
  admin_read_only: new Permissions(2, 'u2', tokenScopes(['cloud_controller.admin_read_only']), []),
  global_auditor: new Permissions(3, 'u3', tokenScopes(['cloud_controller.global_auditor']), []),
  org_manager: new Permissions(4, 'u4', tokenScopes([]), [orgGrant('organization_manager')]),
  org_auditor: new Permissions(5, 'u5', tokenScopes([]), [orgGrant('organization_auditor')]),
  org_billing_manager: new Permissions(6, 'u6', tokenScopes([]), [orgGrant('organization_billing_manager')]),
  org_user: new Permissions(7, 'u7', tokenScopes([]), [orgGrant('organization_user')]),
  space_developer: new Permissions(8, 'u8', tokenScopes([]), spaceGrants('space_developer')),
  space_manager: new Permissions(9, 'u9', tokenScopes([]), spaceGrants('space_manager')),
  space_auditor: new Permissions(10, 'u10', tokenScopes([]), spaceGrants('space_auditor')),
  space_supporter: new Permissions(11, 'u11', tokenScopes([]), spaceGrants('space_supporter')),
  no_role: new Permissions(12, 'u12', tokenScopes([]), []),
};

/** Which callers answer true, for each question about the space `here`. */
function holders(question: (p: Permissions) => boolean): string[] {
  return Object.entries(callers)
    .filter(([, p]) => question(p))
    .map(([name]) => name);
}

describe('permissions: the role matrix', () => {
  test("space read: space roles, the org's managers and global readers", () => {
    assert.deepEqual(
      holders((p) => p.canReadSpace(here)),
      ['admin', 'admin_read_only', 'global_auditor', 'org_manager', 'space_developer', 'space_manager', 'space_auditor', 'space_supporter'],
    );
  });

  test('space roles do not reach other spaces; org managers reach every space of their org', () => {
    assert.deepEqual(
      holders((p) => p.canReadSpace(sibling)),
      ['admin', 'admin_read_only', 'global_auditor', 'org_manager'],
    );
    assert.deepEqual(
      holders((p) => p.canReadSpace(elsewhere)),
      ['admin', 'admin_read_only', 'global_auditor'],
    );
  });

  test('secrets: admin, admin_read_only and space developers', () => {
    assert.deepEqual(
      holders((p) => p.canReadSecrets(here)),
      ['admin', 'admin_read_only', 'space_developer'],
    );
  });

  test("an app's environment variables: the secrets' readers and space supporters", () => {
    assert.deepEqual(
      holders((p) => p.canReadAppEnvironment(here)),
      ['admin', 'admin_read_only', 'space_developer', 'space_supporter'],
    );
    assert.deepEqual(
      holders((p) => p.canReadAppEnvironment(sibling)),
      ['admin', 'admin_read_only'],
    );
  });

  test('space write: admin and space developers', () => {
    assert.deepEqual(
      holders((p) => p.canWriteSpace(here)),
      ['admin', 'space_developer'],
    );
    assert.deepEqual(
      holders((p) => p.canWriteSpace(sibling)),
      ['admin'],
    );
  });

  test('manage apps: admin, space developers and supporters', () => {
    assert.deepEqual(
      holders((p) => p.canManageApps(here)),
      ['admin', 'space_developer', 'space_supporter'],
    );
  });

  test('manage space roles: admin, org managers, space managers', () => {
    assert.deepEqual(
      holders((p) => p.canManageSpaceRoles(here)),
      ['admin', 'org_manager', 'space_manager'],
    );
    assert.deepEqual(
      holders((p) => p.canManageSpaceRoles(sibling)),
      ['admin', 'org_manager'],
    );
  });

  test('org read: any role in the org or its spaces, and global readers', () => {
    assert.deepEqual(
      holders((p) => p.canReadOrg(ORG)),
      [
        'admin',
        'admin_read_only',
        'global_auditor',
        'org_manager',
        'org_auditor',
        'org_billing_manager',
        'org_user',
        'space_developer',
        'space_manager',
        'space_auditor',
        'space_supporter',
      ],
    );
    assert.deepEqual(
      holders((p) => p.canReadOrg(OTHER_ORG)),
      ['admin', 'admin_read_only', 'global_auditor'],
    );
  });

  test("org write: admin and the org's managers", () => {
    assert.deepEqual(
      holders((p) => p.canWriteOrg(ORG)),
      ['admin', 'org_manager'],
    );
    assert.deepEqual(
      holders((p) => p.canWriteOrg(OTHER_ORG)),
      ['admin'],
    );
  });

  test('token scope gate: everyone with a cf token reads and writes; global scopes alone read', () => {
    assert.deepEqual(
      holders((p) => p.mayRead()),
      Object.keys(callers),
    );
    assert.deepEqual(
      holders((p) => p.mayWrite()),
      Object.keys(callers),
    );
    const bareAuditor = new Permissions(99, 'x', ['cloud_controller.global_auditor'], []);
    assert.equal(bareAuditor.mayRead(), true);
    assert.equal(bareAuditor.mayWrite(), false);
    const bareAdmin = new Permissions(98, 'y', ['cloud_controller.admin'], []);
    assert.equal(bareAdmin.mayWrite(), true);
    const nothing = new Permissions(97, 'z', [], []);
    assert.equal(nothing.mayRead(), false);
    assert.equal(nothing.mayWrite(), false);
  });

  test('readable scopes for SQL: all for global readers, else the granted ids', () => {
    for (const who of ['admin', 'admin_read_only', 'global_auditor']) {
      assert.deepEqual(callers[who].readableSpaces(), { all: true }, who);
      assert.deepEqual(callers[who].readableOrgs(), { all: true }, who);
    }
    assert.deepEqual(callers.org_manager.readableSpaces(), { all: false, spaceIds: [], organizationIds: [ORG] });
    assert.deepEqual(callers.org_auditor.readableSpaces(), { all: false, spaceIds: [], organizationIds: [] });
    assert.deepEqual(callers.space_auditor.readableSpaces(), { all: false, spaceIds: [SPACE], organizationIds: [] });
    assert.deepEqual(callers.space_auditor.readableOrgs(), { all: false, spaceIds: [], organizationIds: [ORG] });
    assert.deepEqual(callers.no_role.readableSpaces(), { all: false, spaceIds: [], organizationIds: [] });
    assert.deepEqual(callers.no_role.readableOrgs(), { all: false, spaceIds: [], organizationIds: [] });
  });

  test('global scopes are told apart', () => {
    assert.deepEqual(
      holders((p) => p.isAdmin),
      ['admin'],
    );
    assert.deepEqual(
      holders((p) => p.readsGlobally),
      ['admin', 'admin_read_only', 'global_auditor'],
    );
  });
});
