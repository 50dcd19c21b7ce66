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
const SPACE_CALLERS: readonly Caller[] = ['space_developer', 'space_manager', 'space_auditor', 'space_supporter'];

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

const spaceBody = (name: string, orgGuid: string, extra: Record<string, unknown> = {}) => ({
  name,
  relationships: { organization: { data: { guid: orgGuid } } },
  ...extra,
});

describeEachStore('spaces', (h) => {
  let cast: Cast;
  before(async () => {
    cast = await makeCast(h);
  });

  /** A fresh space in the cast's org where each space-role caller holds their role again. */
  async function castSpace(): Promise<any> {
    const space = await h.space(cast.org.guid);
    for (const who of SPACE_CALLERS) await h.role(who, cast.as[who].guid, { space: space.guid });
    return space;
  }

  test('admin creates a space: CF space object, fields in order', async () => {
    const res = await h.post(
      '/v3/spaces',
      spaceBody('dev', cast.org.guid, { metadata: { labels: { env: 'dev' }, annotations: { owner: 'me' } } }),
    );
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.body), ['guid', 'created_at', 'updated_at', 'name', 'relationships', 'metadata', 'links']);
    assert.equal(res.body.name, 'dev');
    assert.match(res.body.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.deepEqual(res.body.relationships, { organization: { data: { guid: cast.org.guid } }, quota: { data: null } });
    assert.deepEqual(res.body.metadata, { labels: { env: 'dev' }, annotations: { owner: 'me' } });
    const self = `https://api.example.org/v3/spaces/${res.body.guid}`;
    assert.deepEqual(res.body.links, {
      self: { href: self },
      organization: { href: `https://api.example.org/v3/organizations/${cast.org.guid}` },
      features: { href: `${self}/features` },
      apply_manifest: { href: `${self}/actions/apply_manifest`, method: 'POST' },
    });
    const shown = await h.get(`/v3/spaces/${res.body.guid}`);
    assert.deepEqual(shown.body, res.body);
  });

  test('names are unique per organization, regardless of case', async () => {
    const name = h.unique('Same');
    await h.space(cast.org.guid, name);
    cfError(
      await h.post('/v3/spaces', spaceBody(name.toUpperCase(), cast.org.guid)),
      422,
      'CF-UnprocessableEntity',
      10008,
      'Name must be unique per organization',
    );
    const otherOrg = await h.org();
    assert.equal((await h.post('/v3/spaces', spaceBody(name, otherOrg.guid))).status, 201, 'another org may reuse it');
  });

  test("an unknown or unreadable organization is CF's invalid-organization 422", async () => {
    const invalid = 'Invalid organization. Ensure the organization exists and you have access to it.';
    cfError(await h.post('/v3/spaces', spaceBody('x', randomUUID())), 422, 'CF-UnprocessableEntity', 10008, invalid);
    cfError(
      await h.post('/v3/spaces', spaceBody('x', cast.org.guid), cast.as.no_role.token),
      422,
      'CF-UnprocessableEntity',
      10008,
      invalid,
    );
    const nulled = await h.post('/v3/spaces', { name: 'x', relationships: { organization: { data: null } } });
    cfError(nulled, 422, 'CF-UnprocessableEntity', 10008, invalid);
  });

  test("create validation: CF's messages in CF's order", async () => {
    const org = { data: { guid: cast.org.guid } };
    const cases: [unknown, string][] = [
      [{}, "Relationships 'relationships' is not an object, Name can't be blank"],
      [{ name: 'x', relationships: {} }, "Relationships 'relationships' must include one or more valid relationships"],
      [
        { name: 'x', relationships: { organization: {} } },
        'Relationships Organization can\'t be blank, Relationships Organization must be structured like this: "organization: {"data": {"guid": "valid-guid"}}"',
      ],
      [
        { name: 'x', relationships: { organization: { data: { guid: 5 } } } },
        'Relationships Organization guid must be a string, Relationships Organization guid must be between 1 and 200 characters',
      ],
      [{ name: 'x', relationships: { organization: org, space: org } }, "Relationships Unknown field(s): 'space'"],
      [{ name: 5, relationships: { organization: org } }, 'Name must be a string'],
      [{ name: '   ', relationships: { organization: org } }, "Name can't be blank"],
      [{ name: 'n'.repeat(256), relationships: { organization: org } }, 'Name is too long (maximum is 255 characters)'],
      [{ name: 'x', relationships: { organization: org }, color: 'red' }, "Unknown field(s): 'color'"],
      [{ name: 'x', relationships: { organization: org }, metadata: { labels: 'no' } }, "Metadata 'labels' is not an object"],
    ];
    for (const [body, detail] of cases) cfError(await h.post('/v3/spaces', body), 422, 'CF-UnprocessableEntity', 10008, detail);
    const malformed = await h.request('POST', '/v3/spaces', {
      token: h.admin.token,
      payload: '{',
      headers: { 'content-type': 'application/json' },
    });
    cfError(malformed, 400, 'CF-MessageParseError', 1001, 'Request invalid due to parse error: invalid request body');
  });

  test("who may create spaces: admin and the org's managers", async () => {
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
      const res = await h.post('/v3/spaces', spaceBody(h.unique('by'), cast.org.guid), cast.as[who].token);
      assert.equal(res.status, expected[who], `${who}: ${res.text}`);
      if (expected[who] === 403) cfError(res, 403, 'CF-NotAuthorized', 10003, 'You are not authorized to perform the requested action');
    }
  });

  test('a suspended organization refuses new spaces from its managers, not from admins', async () => {
    const org = await h.org();
    const manager = await h.user();
    await h.role('organization_manager', manager.guid, { org: org.guid });
    await h.patch(`/v3/organizations/${org.guid}`, { suspended: true });
    cfError(
      await h.post('/v3/spaces', spaceBody('s', org.guid), manager.token),
      403,
      'CF-OrgSuspended',
      10017,
      'The organization is suspended',
    );
    const byAdmin = await h.post('/v3/spaces', spaceBody('s', org.guid));
    assert.equal(byAdmin.status, 201);
    cfError(await h.patch(`/v3/spaces/${byAdmin.body.guid}`, { name: 's2' }, manager.token), 403, 'CF-OrgSuspended', 10017);
    cfError(await h.delete(`/v3/spaces/${byAdmin.body.guid}`, manager.token), 403, 'CF-OrgSuspended', 10017);
    // Reads are unaffected.
    assert.equal((await h.get(`/v3/spaces/${byAdmin.body.guid}`, manager.token)).status, 200);
  });

  test('who sees which spaces: list and show', async () => {
    const sibling = await h.space(cast.org.guid);
    const sees: Record<Caller, 'org' | 'space' | 'none'> = {
      admin: 'org',
      admin_read_only: 'org',
      global_auditor: 'org',
      org_manager: 'org',
      org_auditor: 'none',
      org_billing_manager: 'none',
      org_user: 'none',
      space_developer: 'space',
      space_manager: 'space',
      space_auditor: 'space',
      space_supporter: 'space',
      no_role: 'none',
    };
    for (const who of CALLERS) {
      const token = cast.as[who].token;
      const list = await h.get(`/v3/spaces?organization_guids=${cast.org.guid}&guids=${cast.space.guid},${sibling.guid}`, token);
      assert.equal(list.status, 200, who);
      const want = sees[who] === 'org' ? [cast.space.guid, sibling.guid] : sees[who] === 'space' ? [cast.space.guid] : [];
      assert.deepEqual(
        list.body.resources.map((s: any) => s.guid),
        want,
        who,
      );
      assert.equal(list.body.pagination.total_results, want.length, who);
      const show = await h.get(`/v3/spaces/${cast.space.guid}`, token);
      if (sees[who] === 'none') cfError(show, 404, 'CF-ResourceNotFound', 10010, 'Space not found');
      else assert.equal(show.status, 200, who);
      const showSibling = await h.get(`/v3/spaces/${sibling.guid}`, token);
      assert.equal(showSibling.status, sees[who] === 'org' ? 200 : 404, `${who} sibling`);
    }
  });

  test('list filters: names (case-insensitive), organization_guids, label_selector', async () => {
    const org = await h.org();
    const a = await h.post('/v3/spaces', spaceBody('Alpha', org.guid, { metadata: { labels: { tier: 'gold', env: 'prod' } } }));
    const b = await h.post('/v3/spaces', spaceBody('beta', org.guid, { metadata: { labels: { tier: 'silver' } } }));
    const c = await h.post('/v3/spaces', spaceBody('gamma', org.guid));
    const inOrg = `organization_guids=${org.guid}`;
    const guidsOf = async (q: string) => (await h.get(`/v3/spaces?${inOrg}&${q}`)).body.resources.map((s: any) => s.guid);
    assert.deepEqual(await guidsOf('names=alpha,BETA'), [a.body.guid, b.body.guid]);
    assert.deepEqual(await guidsOf('label_selector=tier%3Dgold'), [a.body.guid]);
    assert.deepEqual(await guidsOf('label_selector=tier%20in%20(gold,silver)'), [a.body.guid, b.body.guid]);
    assert.deepEqual(await guidsOf('label_selector=!tier'), [c.body.guid]);
    assert.deepEqual(await guidsOf('label_selector=tier,env%21%3Dprod'), [b.body.guid]);
    assert.deepEqual((await h.get(`/v3/spaces?organization_guids=${randomUUID()}`)).body.resources, []);
    cfError(
      await h.get('/v3/spaces?label_selector='),
      400,
      'CF-BadQueryParameter',
      10005,
      'The query parameter is invalid: Missing label_selector value',
    );
    cfError(
      await h.get('/v3/spaces?app_guids=x'),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Unknown query parameter(s): 'app_guids'. Valid parameters are: 'page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'names', 'organization_guids', 'include', 'label_selector'",
    );
  });

  test('pagination: totals and CF links carrying the filters', async () => {
    const org = await h.org();
    const made = [];
    for (const name of ['s1', 's2', 's3']) made.push((await h.post('/v3/spaces', spaceBody(name, org.guid))).body.guid);
    const base = 'https://api.example.org/v3/spaces';
    const page2 = await h.get(`/v3/spaces?organization_guids=${org.guid}&per_page=2&page=2`);
    assert.equal(page2.status, 200);
    assert.deepEqual(
      page2.body.resources.map((s: any) => s.guid),
      [made[2]],
    );
    assert.deepEqual(page2.body.pagination, {
      total_results: 3,
      total_pages: 2,
      first: { href: `${base}?organization_guids=${org.guid}&page=1&per_page=2` },
      last: { href: `${base}?organization_guids=${org.guid}&page=2&per_page=2` },
      next: null,
      previous: { href: `${base}?organization_guids=${org.guid}&page=1&per_page=2` },
    });
    const byName = await h.get(`/v3/spaces?organization_guids=${org.guid}&order_by=-name`);
    assert.deepEqual(
      byName.body.resources.map((s: any) => s.name),
      ['s3', 's2', 's1'],
    );
    assert.equal(byName.body.pagination.first.href, `${base}?order_by=-name&organization_guids=${org.guid}&page=1&per_page=50`);
    cfError(
      await h.get('/v3/spaces?per_page=5001'),
      400,
      'CF-BadQueryParameter',
      10005,
      'The query parameter is invalid: Per page must be between 1 and 5000',
    );
  });

  test('PATCH renames and relabels; who may', async () => {
    const expected: Record<Caller, number> = {
      admin: 200,
      org_manager: 200,
      space_manager: 200,
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
    const space = await castSpace();
    for (const who of CALLERS) {
      const name = h.unique(who);
      const res = await h.patch(
        `/v3/spaces/${space.guid}`,
        { name, metadata: { labels: { by: who.replace(/_/g, '-') } } },
        cast.as[who].token,
      );
      assert.equal(res.status, expected[who], `${who}: ${res.text}`);
      if (expected[who] === 200) {
        assert.equal(res.body.name, name);
        assert.equal(res.body.metadata.labels.by, who.replace(/_/g, '-'));
      }
      if (expected[who] === 403) cfError(res, 403, 'CF-NotAuthorized', 10003);
      if (expected[who] === 404) cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Space not found');
    }
  });

  test('PATCH validation and duplicate names', async () => {
    const taken = await h.space(cast.org.guid);
    const space = await h.space(cast.org.guid);
    cfError(
      await h.patch(`/v3/spaces/${space.guid}`, { name: taken.name }),
      422,
      'CF-UnprocessableEntity',
      10008,
      'Name must be unique per organization',
    );
    cfError(
      await h.patch(`/v3/spaces/${space.guid}`, { name: 7, relationships: {} }),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Unknown field(s): 'relationships', Name must be a string",
    );
    // Labels merge: null removes a key, others are kept.
    await h.patch(`/v3/spaces/${space.guid}`, { metadata: { labels: { a: '1', b: '2' } } });
    const merged = await h.patch(`/v3/spaces/${space.guid}`, { metadata: { labels: { a: null, c: '3' } } });
    assert.deepEqual(merged.body.metadata.labels, { b: '2', c: '3' });
    assert.equal(merged.body.name, space.name);
    cfError(await h.patch(`/v3/spaces/${randomUUID()}`, { name: 'x' }), 404, 'CF-ResourceNotFound', 10010, 'Space not found');
  });

  test('DELETE: admin and org managers; 202 with a completed job, and the space is gone', async () => {
    const expected: Record<Caller, number> = {
      admin: 202,
      org_manager: 202,
      admin_read_only: 403,
      global_auditor: 403,
      space_developer: 403,
      space_manager: 403,
      space_auditor: 403,
      space_supporter: 403,
      org_auditor: 404,
      org_billing_manager: 404,
      org_user: 404,
      no_role: 404,
    };
    for (const who of CALLERS) {
      const space = await castSpace();
      const res = await h.delete(`/v3/spaces/${space.guid}`, cast.as[who].token);
      assert.equal(res.status, expected[who], `${who}: ${res.text}`);
      if (expected[who] === 202) {
        assert.match(String(res.headers.location), /^https:\/\/api\.example\.org\/v3\/jobs\/[0-9a-f-]{36}$/);
        cfError(await h.get(`/v3/spaces/${space.guid}`), 404, 'CF-ResourceNotFound', 10010, 'Space not found');
      } else {
        assert.equal((await h.get(`/v3/spaces/${space.guid}`)).status, 200, `${who} must not have deleted it`);
      }
      if (expected[who] === 403) cfError(res, 403, 'CF-NotAuthorized', 10003);
      if (expected[who] === 404) cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Space not found');
    }
  });

  test('deleting a space takes its roles with it', async () => {
    const space = await h.space(cast.org.guid);
    const u = await h.user();
    const dev = await h.role('space_developer', u.guid, { space: space.guid });
    assert.equal((await h.delete(`/v3/spaces/${space.guid}`)).status, 202);
    cfError(await h.get(`/v3/roles/${dev.guid}`), 404, 'CF-ResourceNotFound', 10010, 'Role not found');
    // The user's organization_user role stays, and can now be revoked.
    const orgUser = (await h.get(`/v3/roles?user_guids=${u.guid}&types=organization_user`)).body.resources[0];
    assert.equal((await h.delete(`/v3/roles/${orgUser.guid}`)).status, 202);
  });

  test('a name freed by a delete can be used again', async () => {
    const space = await h.space(cast.org.guid);
    await h.delete(`/v3/spaces/${space.guid}`);
    assert.equal((await h.post('/v3/spaces', spaceBody(space.name, cast.org.guid))).status, 201);
  });

  test("include=organization (or org) adds the spaces' organizations, on the list and on one space", async () => {
    const org = await h.org();
    const first = await h.space(org.guid);
    await h.space(org.guid);
    const list = await h.get(`/v3/spaces?organization_guids=${org.guid}&include=organization`);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.resources.length, 2);
    assert.deepEqual(
      list.body.included.organizations.map((o: { guid: string; name: string }) => [o.guid, o.name]),
      [[org.guid, org.name]],
    );
    assert.deepEqual(list.body.included.organizations[0], (await h.get(`/v3/organizations/${org.guid}`)).body);
    const one = await h.get(`/v3/spaces/${first.guid}?include=org`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.guid, first.guid);
    assert.deepEqual(one.body.included, { organizations: [list.body.included.organizations[0]] });
    assert.equal((await h.get(`/v3/spaces/${first.guid}`)).body.included, undefined);
  });

  test('include is checked as Cloud Controller checks it; a show takes no other parameter', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const invalid = "Invalid included resource: 'space'. Valid included resources are: 'org', 'organization'";
    cfError(await h.get('/v3/spaces?include=space'), 400, 'CF-BadQueryParameter', 10005, `The query parameter is invalid: ${invalid}`);
    cfError(
      await h.get(`/v3/spaces/${space.guid}?include=space`),
      400,
      'CF-BadQueryParameter',
      10005,
      `The query parameter is invalid: ${invalid}`,
    );
    cfError(
      await h.get(`/v3/spaces/${space.guid}?names=x`),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Unknown query parameter(s): 'names'. Valid parameters are: 'include'",
    );
  });
});
