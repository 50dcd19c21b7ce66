import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cfError, describeEachStore, type Actor, type Harness } from '../support/harness.js';

const CALLERS = [
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
  'no_role',
] as const;
type Caller = (typeof CALLERS)[number];

interface Cast {
  org: any;
  space: any;
  as: Record<Caller, Actor>;
}

/** An org with a space, and one logged-in caller per role in them. */
async function makeCast(h: Harness): Promise<Cast> {
  const org = await h.org();
  const space = await h.space(org.guid);
  const one = async (who: Caller): Promise<Actor> => {
    if (who === 'admin') return h.admin;
    if (who === 'admin_read_only') return h.user(['cloud_controller.admin_read_only']);
    if (who === 'global_auditor') return h.user(['cloud_controller.global_auditor']);
    const u = await h.user();
    if (who.startsWith('org_'))
      await h.role(who === 'org_user' ? 'organization_user' : who.replace('org_', 'organization_'), u.guid, { org: org.guid });
    else if (who.startsWith('space_')) await h.role(who, u.guid, { space: space.guid });
    return u;
  };
  const actors = await Promise.all(CALLERS.map(one));
  return { org, space, as: Object.fromEntries(CALLERS.map((c, i) => [c, actors[i]])) as Record<Caller, Actor> };
}

const orgRole = (type: string, user: object, orgGuid: string) => ({
  type,
  relationships: { user: { data: user }, organization: { data: { guid: orgGuid } } },
});
const spaceRole = (type: string, user: object, spaceGuid: string) => ({
  type,
  relationships: { user: { data: user }, space: { data: { guid: spaceGuid } } },
});

const ALLOWED_TYPES =
  'Type must be one of the allowed types ["organization_auditor", "organization_manager", "organization_billing_manager", "organization_user", "space_auditor", "space_manager", "space_developer", "space_supporter"]';

describeEachStore('roles', (h) => {
  let cast: Cast;
  before(async () => {
    cast = await makeCast(h);
  });

  /** A user the admin made an organization_user of the cast's org (by an unseen guid). */
  async function orgMember(orgGuid = cast.org.guid): Promise<string> {
    const guid = randomUUID();
    const res = await h.post('/v3/roles', orgRole('organization_user', { guid }, orgGuid));
    assert.equal(res.status, 201, res.text);
    return guid;
  }

  test('admin grants a space role: CF role object, fields in order', async () => {
    const user = await orgMember();
    const res = await h.post('/v3/roles', spaceRole('space_developer', { guid: user }, cast.space.guid));
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.body), ['guid', 'created_at', 'updated_at', 'type', 'relationships', 'links']);
    assert.match(res.body.guid, /^[0-9a-f-]{36}$/);
    assert.match(res.body.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(res.body.type, 'space_developer');
    assert.deepEqual(res.body.relationships, {
      user: { data: { guid: user } },
      space: { data: { guid: cast.space.guid } },
      organization: { data: null },
    });
    assert.deepEqual(res.body.links, {
      self: { href: `https://api.example.org/v3/roles/${res.body.guid}` },
      user: { href: `https://api.example.org/v3/users/${user}` },
      space: { href: `https://api.example.org/v3/spaces/${cast.space.guid}` },
    });
    const shown = await h.get(`/v3/roles/${res.body.guid}`);
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body, res.body);
  });

  test('admin grants an organization role: organization relationship and link, no space', async () => {
    const u = await h.user();
    const res = await h.post('/v3/roles', orgRole('organization_auditor', { guid: u.guid }, cast.org.guid));
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.relationships, {
      user: { data: { guid: u.guid } },
      space: { data: null },
      organization: { data: { guid: cast.org.guid } },
    });
    assert.deepEqual(Object.keys(res.body.links), ['self', 'user', 'organization']);
    assert.equal(res.body.links.organization.href, `https://api.example.org/v3/organizations/${cast.org.guid}`);
    // The role takes effect at once: the user now sees the organization.
    assert.equal((await h.get(`/v3/organizations/${cast.org.guid}`, u.token)).status, 200);
  });

  test('all eight role types can be granted', async () => {
    const user = await orgMember();
    for (const type of ['organization_auditor', 'organization_manager', 'organization_billing_manager']) {
      assert.equal((await h.post('/v3/roles', orgRole(type, { guid: user }, cast.org.guid))).status, 201, type);
    }
    for (const type of ['space_developer', 'space_manager', 'space_auditor', 'space_supporter']) {
      assert.equal((await h.post('/v3/roles', spaceRole(type, { guid: user }, cast.space.guid))).status, 201, type);
    }
    const list = await h.get(`/v3/roles?user_guids=${user}&per_page=10`);
    assert.deepEqual(list.body.resources.map((r: any) => r.type).sort(), [
      'organization_auditor',
      'organization_billing_manager',
      'organization_manager',
      'organization_user',
      'space_auditor',
      'space_developer',
      'space_manager',
      'space_supporter',
    ]);
  });

  test('an organization role for a user guid never seen before creates that user', async () => {
    const guid = `uaa-${randomUUID()}`;
    assert.equal((await h.get(`/v3/users/${guid}`)).status, 404);
    const res = await h.post('/v3/roles', orgRole('organization_manager', { guid }, cast.org.guid));
    assert.equal(res.status, 201, res.text);
    const user = await h.get(`/v3/users/${guid}`);
    assert.equal(user.status, 200);
    assert.equal(user.body.username, null);
    assert.equal(user.body.origin, null);
    assert.equal(user.body.presentation_name, guid);
  });

  test('a space role for an unknown user is refused, not invented', async () => {
    const guid = randomUUID();
    cfError(
      await h.post('/v3/roles', spaceRole('space_auditor', { guid }, cast.space.guid)),
      422,
      'CF-UnprocessableEntity',
      10008,
      'Invalid user. Ensure that the user exists and you have access to it.',
    );
    assert.equal((await h.get(`/v3/users/${guid}`)).status, 404);
  });

  test("a space role needs the user to be an organization_user of the space's org", async () => {
    const u = await h.user();
    await h.post('/v3/roles', orgRole('organization_auditor', { guid: u.guid }, cast.org.guid));
    cfError(
      await h.post('/v3/roles', spaceRole('space_developer', { guid: u.guid }, cast.space.guid)),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Users cannot be assigned roles in a space if they do not have a role in that space's organization.",
    );
  });

  test("unknown space or organization is a 422 with CF's message", async () => {
    const user = await orgMember();
    cfError(
      await h.post('/v3/roles', spaceRole('space_auditor', { guid: user }, randomUUID())),
      422,
      'CF-UnprocessableEntity',
      10008,
      'Invalid space. Ensure that the space exists and you have access to it.',
    );
    cfError(
      await h.post('/v3/roles', orgRole('organization_auditor', { guid: user }, randomUUID())),
      422,
      'CF-UnprocessableEntity',
      10008,
      'Invalid organization. Ensure the organization exists and you have access to it.',
    );
  });

  test('duplicates name the user, the role and the place', async () => {
    const u = await h.user();
    await h.role('space_auditor', u.guid, { space: cast.space.guid });
    cfError(
      await h.post('/v3/roles', spaceRole('space_auditor', { guid: u.guid }, cast.space.guid)),
      422,
      'CF-UnprocessableEntity',
      10008,
      `User '${u.username}' already has 'space_auditor' role in space '${cast.space.name}'.`,
    );
    cfError(
      await h.post('/v3/roles', orgRole('organization_user', { guid: u.guid }, cast.org.guid)),
      422,
      'CF-UnprocessableEntity',
      10008,
      `User '${u.username}' already has 'organization_user' role in organization '${cast.org.name}'.`,
    );
    // A user without a username is named by its guid.
    const bare = await orgMember();
    cfError(
      await h.post('/v3/roles', orgRole('organization_user', { guid: bare }, cast.org.guid)),
      422,
      'CF-UnprocessableEntity',
      10008,
      `User '${bare}' already has 'organization_user' role in organization '${cast.org.name}'.`,
    );
  });

  test('the same role in another space or org is not a duplicate', async () => {
    const u = await h.user();
    await h.role('space_developer', u.guid, { space: cast.space.guid });
    const other = await h.space(cast.org.guid);
    assert.equal((await h.post('/v3/roles', spaceRole('space_developer', { guid: u.guid }, other.guid))).status, 201);
    const otherOrg = await h.org();
    assert.equal((await h.post('/v3/roles', orgRole('organization_user', { guid: u.guid }, otherOrg.guid))).status, 201);
  });

  test('users may be named by username, with or without origin', async () => {
    const u = await h.user();
    const byName = await h.post('/v3/roles', orgRole('organization_user', { username: u.username }, cast.org.guid));
    assert.equal(byName.status, 201, byName.text);
    assert.equal(byName.body.relationships.user.data.guid, u.guid);
    const withOrigin = await h.post('/v3/roles', spaceRole('space_auditor', { username: u.username, origin: 'uaa' }, cast.space.guid));
    assert.equal(withOrigin.status, 201, withOrigin.text);
    assert.equal(withOrigin.body.relationships.user.data.guid, u.guid);
    cfError(
      await h.post('/v3/roles', orgRole('organization_auditor', { username: u.username, origin: 'ldap' }, cast.org.guid)),
      422,
      'CF-UnprocessableEntity',
      10008,
      `No user exists with the username '${u.username}' and origin 'ldap'.`,
    );
    cfError(
      await h.post('/v3/roles', orgRole('organization_auditor', { username: 'nobody-at-all' }, cast.org.guid)),
      422,
      'CF-UnprocessableEntity',
      10008,
      "No user exists with the username 'nobody-at-all'.",
    );
  });

  test('with set_roles_by_username off, only admins may name users by username', async () => {
    const u = await h.user();
    await h.db.updateTable('feature_flags').set({ enabled: 0 }).where('name', '=', 'set_roles_by_username').execute();
    try {
      cfError(
        await h.post('/v3/roles', orgRole('organization_auditor', { username: u.username }, cast.org.guid), cast.as.org_manager.token),
        403,
        'CF-FeatureDisabled',
        330002,
        'Feature Disabled: set_roles_by_username',
      );
      // By guid it still works for the manager; by username for the admin.
      assert.equal(
        (await h.post('/v3/roles', orgRole('organization_auditor', { guid: u.guid }, cast.org.guid), cast.as.org_manager.token)).status,
        201,
      );
      assert.equal((await h.post('/v3/roles', orgRole('organization_user', { username: u.username }, cast.org.guid))).status, 201);
    } finally {
      await h.db.updateTable('feature_flags').set({ enabled: 1 }).where('name', '=', 'set_roles_by_username').execute();
    }
  });

  test("body validation: CF's messages, joined", async () => {
    const user = { guid: randomUUID() };
    const org = { data: { guid: cast.org.guid } };
    const space = { data: { guid: cast.space.guid } };
    const cases: [unknown, string][] = [
      [{}, `Relationships 'relationships' is not an object, ${ALLOWED_TYPES}`],
      [{ type: 'organization_user', relationships: {} }, "Relationships 'relationships' must include one or more valid relationships"],
      [{ type: 'space_admin', relationships: { user: { data: user }, space } }, ALLOWED_TYPES],
      [
        { type: 'organization_user', relationships: { user: { data: user } } },
        'Relationships must specify either a space or an organization.',
      ],
      [
        { type: 'organization_user', relationships: { user: { data: user }, space: { data: null } } },
        'Relationships must specify either a space or an organization.',
      ],
      [
        { type: 'organization_user', relationships: { user: { data: user }, space } },
        "Relationships Space cannot be provided with the organization role type: 'organization_user'.",
      ],
      [
        { type: 'space_developer', relationships: { user: { data: user }, organization: org } },
        "Relationships Organization cannot be provided with the space role type: 'space_developer'.",
      ],
      [
        { type: 'organization_auditor', relationships: { user: { data: user }, space, organization: org } },
        "Relationships Space cannot be provided with the organization role type: 'organization_auditor'., Relationships cannot specify both an organization and a space.",
      ],
      [
        { type: 'space_developer', relationships: { space } },
        "Relationships User can't be blank, Relationships User must have a username or guid specified",
      ],
      [
        { type: 'space_developer', relationships: { user: { data: 'someone' }, space } },
        'Relationships User must have a username or guid specified',
      ],
      [
        { type: 'space_developer', relationships: { user: { data: { guid: 'g', username: 'u' } }, space } },
        'Relationships Username cannot be specified when identifying user by guid',
      ],
      [
        { type: 'space_developer', relationships: { user: { data: { guid: 'g', origin: 'uaa' } }, space } },
        'Relationships User origin cannot be specified when identifying user by guid, Relationships User origin cannot be specified without specifying the username',
      ],
      [
        { type: 'space_developer', relationships: { user: { data: { guid: 5 } }, space } },
        'Relationships User guid must be a string, Relationships User guid must be between 1 and 200 characters',
      ],
      [
        { type: 'space_developer', relationships: { user: { data: { guid: 'x'.repeat(201) } }, space } },
        'Relationships User guid must be between 1 and 200 characters',
      ],
      [{ type: 'space_developer', relationships: { user: { data: { username: 47 } }, space } }, 'Relationships Username must be a string'],
      [
        { type: 'space_developer', relationships: { user: { data: { username: 'u', origin: 47 } }, space } },
        'Relationships User origin must be a string',
      ],
      [
        { type: 'space_developer', relationships: { user: { data: user }, space: { data: 'not-an-object' } } },
        'Relationships Space must be structured like this: "space: {"data": {"guid": "valid-guid"}}"',
      ],
      [
        { type: 'organization_user', relationships: { user: { data: user }, organization: { data: { guid: '' } } } },
        'Relationships Organization guid must be between 1 and 200 characters',
      ],
      [
        { type: 'space_developer', relationships: { user: { data: user }, space, team: {} }, extra: 1 },
        "Unknown field(s): 'extra', Relationships Unknown field(s): 'team'",
      ],
    ];
    for (const [body, detail] of cases) {
      cfError(await h.post('/v3/roles', body), 422, 'CF-UnprocessableEntity', 10008, detail);
    }
    const malformed = await h.request('POST', '/v3/roles', {
      token: h.admin.token,
      payload: '{"type":',
      headers: { 'content-type': 'application/json' },
    });
    cfError(malformed, 400, 'CF-MessageParseError', 1001, 'Request invalid due to parse error: invalid request body');
  });

  test("who may grant organization roles: admin and the org's managers", async () => {
    const expected: Record<Caller, number> = {
      admin: 201,
      org_manager: 201,
      admin_read_only: 403,
      global_auditor: 403,
      org_auditor: 403,
      org_billing_manager: 403,
      org_user: 403,
      space_developer: 403,
      space_manager: 403,
      space_auditor: 403,
      space_supporter: 403,
      no_role: 422,
    };
    for (const who of CALLERS) {
      const res = await h.post('/v3/roles', orgRole('organization_auditor', { guid: randomUUID() }, cast.org.guid), cast.as[who].token);
      assert.equal(res.status, expected[who], `${who}: ${res.text}`);
      if (expected[who] === 403) cfError(res, 403, 'CF-NotAuthorized', 10003, 'You are not authorized to perform the requested action');
      if (expected[who] === 422)
        cfError(
          res,
          422,
          'CF-UnprocessableEntity',
          10008,
          'Invalid organization. Ensure the organization exists and you have access to it.',
        );
    }
  });

  test("who may grant space roles: admin, the org's managers and the space's managers", async () => {
    const expected: Record<Caller, number> = {
      admin: 201,
      org_manager: 201,
      space_manager: 201,
      admin_read_only: 403,
      global_auditor: 403,
      space_developer: 403,
      space_auditor: 403,
      space_supporter: 403,
      org_auditor: 422,
      org_billing_manager: 422,
      org_user: 422,
      no_role: 422,
    };
    for (const who of CALLERS) {
      const user = await orgMember();
      const res = await h.post('/v3/roles', spaceRole('space_auditor', { guid: user }, cast.space.guid), cast.as[who].token);
      assert.equal(res.status, expected[who], `${who}: ${res.text}`);
      if (expected[who] === 403) cfError(res, 403, 'CF-NotAuthorized', 10003);
      if (expected[who] === 422)
        cfError(res, 422, 'CF-UnprocessableEntity', 10008, 'Invalid space. Ensure that the space exists and you have access to it.');
    }
  });

  test('a space manager cannot grant a role to a user outside the organization', async () => {
    const outsider = await h.user();
    cfError(
      await h.post('/v3/roles', spaceRole('space_auditor', { guid: outsider.guid }, cast.space.guid), cast.as.space_manager.token),
      422,
      'CF-UnprocessableEntity',
      10008,
      'Invalid user. Ensure that the user exists and you have access to it.',
    );
  });

  test('in a suspended organization only admins may grant roles', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const manager = await h.user();
    await h.role('organization_manager', manager.guid, { org: org.guid });
    const member = randomUUID();
    await h.post('/v3/roles', orgRole('organization_user', { guid: member }, org.guid));
    await h.patch(`/v3/organizations/${org.guid}`, { suspended: true });
    cfError(
      await h.post('/v3/roles', orgRole('organization_auditor', { guid: member }, org.guid), manager.token),
      403,
      'CF-OrgSuspended',
      10017,
      'The organization is suspended',
    );
    cfError(
      await h.post('/v3/roles', spaceRole('space_auditor', { guid: member }, space.guid), manager.token),
      403,
      'CF-OrgSuspended',
      10017,
      'The organization is suspended',
    );
    assert.equal((await h.post('/v3/roles', spaceRole('space_auditor', { guid: member }, space.guid))).status, 201);
  });

  test('list and show visibility per role', async () => {
    // A target user with two org roles and a space role in the cast's org.
    const target = await h.user();
    const orgUser = (await h.get(`/v3/roles?user_guids=${target.guid}`)).body.resources;
    assert.equal(orgUser.length, 0);
    const auditor = (await h.post('/v3/roles', orgRole('organization_auditor', { guid: target.guid }, cast.org.guid))).body;
    const spaceRoleBody = await h.role('space_auditor', target.guid, { space: cast.space.guid });
    const all = new Set((await h.get(`/v3/roles?user_guids=${target.guid}`)).body.resources.map((r: any) => r.guid));
    assert.equal(all.size, 3);
    const orgRoleGuids = [...all].filter((g) => g !== spaceRoleBody.guid);

    const sees: Record<Caller, 'all' | 'org' | 'none'> = {
      admin: 'all',
      admin_read_only: 'all',
      global_auditor: 'all',
      org_manager: 'all',
      org_auditor: 'org',
      org_billing_manager: 'org',
      org_user: 'org',
      space_developer: 'all',
      space_manager: 'all',
      space_auditor: 'all',
      space_supporter: 'all',
      no_role: 'none',
    };
    for (const who of CALLERS) {
      const token = cast.as[who].token;
      const list = await h.get(`/v3/roles?user_guids=${target.guid}`, token);
      assert.equal(list.status, 200, who);
      const got = list.body.resources.map((r: any) => r.guid).sort();
      const want = sees[who] === 'all' ? [...all].sort() : sees[who] === 'org' ? [...orgRoleGuids].sort() : [];
      assert.deepEqual(got, want, who);
      const showSpace = await h.get(`/v3/roles/${spaceRoleBody.guid}`, token);
      if (sees[who] === 'all') assert.equal(showSpace.status, 200, who);
      else cfError(showSpace, 404, 'CF-ResourceNotFound', 10010, 'Role not found');
      const showOrg = await h.get(`/v3/roles/${auditor.guid}`, token);
      if (sees[who] === 'none') cfError(showOrg, 404, 'CF-ResourceNotFound', 10010, 'Role not found');
      else assert.equal(showOrg.status, 200, who);
    }
  });

  test('a caller always sees their own roles', async () => {
    const list = await h.get('/v3/roles', cast.as.space_supporter.token);
    const mine = list.body.resources
      .filter((r: any) => r.relationships.user.data.guid === cast.as.space_supporter.guid)
      .map((r: any) => r.type)
      .sort();
    assert.deepEqual(mine, ['organization_user', 'space_supporter']);
  });

  test('list filters: guids, types, user_guids, space_guids, organization_guids', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const a = await h.user();
    const b = await h.user();
    const aDev = await h.role('space_developer', a.guid, { space: space.guid });
    const bMgr = await h.role('organization_manager', b.guid, { org: org.guid });
    const guidsOf = async (q: string) => (await h.get(`/v3/roles?${q}`)).body.resources.map((r: any) => r.guid).sort();
    const orgUsers = (await guidsOf(`organization_guids=${org.guid}&types=organization_user`)).length;
    assert.equal(orgUsers, 1, 'a became organization_user on the way to space_developer');
    assert.deepEqual(await guidsOf(`space_guids=${space.guid}`), [aDev.guid]);
    assert.deepEqual(await guidsOf(`organization_guids=${org.guid}&types=organization_manager`), [bMgr.guid]);
    assert.deepEqual(await guidsOf(`user_guids=${b.guid}`), [bMgr.guid]);
    assert.deepEqual(await guidsOf(`guids=${aDev.guid},${bMgr.guid}`), [aDev.guid, bMgr.guid].sort());
    assert.deepEqual(await guidsOf(`types=space_developer&user_guids=${a.guid},${b.guid}`), [aDev.guid]);
    // Space roles belong to no organization of their own, as in CF.
    assert.deepEqual(await guidsOf(`organization_guids=${org.guid}&types=space_developer`), []);
  });

  test('lists are oldest first by default, say so in their links, and page', async () => {
    const org = await h.org();
    const made: string[] = [];
    for (const type of ['organization_auditor', 'organization_manager', 'organization_billing_manager']) {
      made.push((await h.post('/v3/roles', orgRole(type, { guid: randomUUID() }, org.guid))).body.guid);
      await new Promise((r) => setTimeout(r, 5));
    }
    const page1 = await h.get(`/v3/roles?organization_guids=${org.guid}&per_page=2`);
    assert.equal(page1.status, 200);
    assert.deepEqual(
      page1.body.resources.map((r: any) => r.guid),
      made.slice(0, 2),
    );
    assert.equal(page1.body.pagination.total_results, 3);
    assert.equal(page1.body.pagination.total_pages, 2);
    assert.equal(
      page1.body.pagination.first.href,
      `https://api.example.org/v3/roles?order_by=%2Bcreated_at&organization_guids=${org.guid}&page=1&per_page=2`,
    );
    assert.equal(
      page1.body.pagination.next.href,
      `https://api.example.org/v3/roles?order_by=%2Bcreated_at&organization_guids=${org.guid}&page=2&per_page=2`,
    );
    assert.equal(page1.body.pagination.previous, null);
    const page2 = await h.get(`/v3/roles?organization_guids=${org.guid}&per_page=2&page=2`);
    assert.deepEqual(
      page2.body.resources.map((r: any) => r.guid),
      made.slice(2),
    );
    const newest = await h.get(`/v3/roles?organization_guids=${org.guid}&order_by=-created_at`);
    assert.deepEqual(
      newest.body.resources.map((r: any) => r.guid),
      [...made].reverse(),
    );
    assert.match(newest.body.pagination.first.href, /order_by=-created_at/);
  });

  test("invalid list queries are 422s, as CF's roles controller answers them", async () => {
    cfError(
      await h.get('/v3/roles?names=x'),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Unknown query parameter(s): 'names'. Valid parameters are: 'page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'organization_guids', 'space_guids', 'user_guids', 'types', 'include'",
    );
    cfError(
      await h.get('/v3/roles?order_by=name'),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Order by can only be: 'created_at', 'updated_at'",
    );
    cfError(await h.get('/v3/roles?per_page=0'), 422, 'CF-UnprocessableEntity', 10008, 'Per page must be a positive integer');
    cfError(
      await h.get('/v3/roles?include=user,app'),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Invalid included resource: 'app'. Valid included resources are: 'user', 'organization', 'space'",
    );
    cfError(await h.get('/v3/roles?include=user,user'), 422, 'CF-UnprocessableEntity', 10008, "Duplicate included resource: 'user'");
    const role = (await h.get('/v3/roles')).body.resources[0];
    cfError(
      await h.get(`/v3/roles/${role.guid}?include=app`),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Invalid included resource: 'app'. Valid included resources are: 'user', 'organization', 'space'",
    );
    cfError(
      await h.get(`/v3/roles/${role.guid}?page=1`),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Unknown query parameter(s): 'page'. Valid parameters are: 'include'",
    );
  });

  test('include=user,space,organization adds the related resources', async () => {
    const u = await h.user();
    const dev = await h.role('space_developer', u.guid, { space: cast.space.guid });
    const list = await h.get(`/v3/roles?user_guids=${u.guid}&include=user,space,organization`);
    assert.equal(list.status, 200);
    assert.deepEqual(Object.keys(list.body), ['pagination', 'resources', 'included']);
    assert.deepEqual(Object.keys(list.body.included), ['users', 'organizations', 'spaces']);
    assert.deepEqual(
      list.body.included.users.map((x: any) => [x.guid, x.username]),
      [[u.guid, u.username]],
    );
    assert.deepEqual(
      list.body.included.organizations.map((x: any) => x.guid),
      [cast.org.guid],
    );
    assert.deepEqual(
      list.body.included.spaces.map((x: any) => [x.guid, x.name]),
      [[cast.space.guid, cast.space.name]],
    );
    assert.match(list.body.pagination.first.href, /include=user%2Cspace%2Corganization/);
    const one = await h.get(`/v3/roles/${dev.guid}?include=user`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.included, { users: [list.body.included.users[0]] });
  });

  test('DELETE revokes the role: 202 with a job, and the user loses access', async () => {
    const u = await h.user();
    const dev = await h.role('space_developer', u.guid, { space: cast.space.guid });
    assert.equal((await h.get(`/v3/spaces/${cast.space.guid}`, u.token)).status, 200);
    const del = await h.delete(`/v3/roles/${dev.guid}`);
    assert.equal(del.status, 202);
    assert.equal(del.text, '');
    const location = String(del.headers.location);
    assert.match(location, /^https:\/\/api\.example\.org\/v3\/jobs\/[0-9a-f-]{36}$/);
    const job = await h.db.selectFrom('jobs').selectAll().where('guid', '=', location.split('/').pop()!).executeTakeFirstOrThrow();
    assert.deepEqual([job.operation, job.state, job.resource_guid], ['role.delete', 'COMPLETE', dev.guid]);
    cfError(await h.get(`/v3/roles/${dev.guid}`), 404, 'CF-ResourceNotFound', 10010, 'Role not found');
    cfError(await h.get(`/v3/spaces/${cast.space.guid}`, u.token), 404, 'CF-ResourceNotFound', 10010, 'Space not found');
    cfError(await h.delete(`/v3/roles/${dev.guid}`), 404, 'CF-ResourceNotFound', 10010, 'Role not found');
  });

  test("organization_user cannot be revoked while the user has roles in the org's spaces", async () => {
    const u = await h.user();
    const dev = await h.role('space_developer', u.guid, { space: cast.space.guid });
    const orgUser = (await h.get(`/v3/roles?user_guids=${u.guid}&types=organization_user`)).body.resources[0];
    cfError(
      await h.delete(`/v3/roles/${orgUser.guid}`),
      422,
      'CF-UnprocessableEntity',
      10008,
      'Cannot delete organization_user role while user has roles in spaces in that organization.',
    );
    assert.equal((await h.get(`/v3/roles/${orgUser.guid}`)).status, 200, 'the refused delete left the role in place');
    assert.equal((await h.delete(`/v3/roles/${dev.guid}`)).status, 202);
    assert.equal((await h.delete(`/v3/roles/${orgUser.guid}`)).status, 202);
    cfError(await h.get(`/v3/roles/${orgUser.guid}`), 404, 'CF-ResourceNotFound', 10010, 'Role not found');
  });

  test('who may revoke space roles', async () => {
    const expected: Record<Caller, number> = {
      admin: 202,
      org_manager: 202,
      space_manager: 202,
      admin_read_only: 403,
      global_auditor: 403,
      space_developer: 403,
      space_auditor: 403,
      space_supporter: 403,
      org_auditor: 404,
      org_billing_manager: 404,
      org_user: 404,
      no_role: 404,
    };
    for (const who of CALLERS) {
      const user = await orgMember();
      const role = (await h.post('/v3/roles', spaceRole('space_auditor', { guid: user }, cast.space.guid))).body;
      const res = await h.delete(`/v3/roles/${role.guid}`, cast.as[who].token);
      assert.equal(res.status, expected[who], `${who}: ${res.text}`);
      if (expected[who] === 403) cfError(res, 403, 'CF-NotAuthorized', 10003);
      if (expected[who] === 404) cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Role not found');
      assert.equal((await h.get(`/v3/roles/${role.guid}`)).status, expected[who] === 202 ? 404 : 200, who);
    }
  });

  test('who may revoke organization roles', async () => {
    const expected: Record<Caller, number> = {
      admin: 202,
      org_manager: 202,
      admin_read_only: 403,
      global_auditor: 403,
      org_auditor: 403,
      org_billing_manager: 403,
      org_user: 403,
      space_developer: 403,
      space_manager: 403,
      space_auditor: 403,
      space_supporter: 403,
      no_role: 404,
    };
    for (const who of CALLERS) {
      const role = (await h.post('/v3/roles', orgRole('organization_auditor', { guid: randomUUID() }, cast.org.guid))).body;
      const res = await h.delete(`/v3/roles/${role.guid}`, cast.as[who].token);
      assert.equal(res.status, expected[who], `${who}: ${res.text}`);
      if (expected[who] === 403) cfError(res, 403, 'CF-NotAuthorized', 10003);
      if (expected[who] === 404) cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Role not found');
    }
  });

  test('in a suspended organization only admins may revoke roles', async () => {
    const org = await h.org();
    const manager = await h.user();
    await h.role('organization_manager', manager.guid, { org: org.guid });
    const role = (await h.post('/v3/roles', orgRole('organization_auditor', { guid: randomUUID() }, org.guid))).body;
    await h.patch(`/v3/organizations/${org.guid}`, { suspended: true });
    cfError(await h.delete(`/v3/roles/${role.guid}`, manager.token), 403, 'CF-OrgSuspended', 10017, 'The organization is suspended');
    assert.equal((await h.delete(`/v3/roles/${role.guid}`)).status, 202);
  });

  test('without a token every roles endpoint is 401', async () => {
    cfError(await h.request('GET', '/v3/roles'), 401, 'CF-NotAuthenticated', 10002, 'Authentication error');
    cfError(
      await h.request('POST', '/v3/roles', { body: orgRole('organization_user', { guid: randomUUID() }, cast.org.guid) }),
      401,
      'CF-NotAuthenticated',
      10002,
    );
  });
});
