import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { ROLES, roleMatrix, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { quotasForSpace } from '../../src/fetchers/quotas.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;
let n = 0;
const quotaName = () => `sq-${++n}-${Math.random().toString(16).slice(2, 6)}`;
const orgRel = (guid: string) => ({ organization: { data: { guid } } });

const GLOBAL_READERS: RoleName[] = ['admin', 'admin_read_only', 'global_auditor'];
const SPACE_ROLES: RoleName[] = ['space_developer', 'space_manager', 'space_auditor', 'space_supporter'];

describeEachStore('space quotas', (h) => {
  const matrix = sharedRoleMatrix(h);

  const createQuota = async (orgGuid: string, body: Record<string, unknown> = {}, token = h.admin.token) => {
    const res = await h.post('/v3/space_quotas', { name: quotaName(), relationships: orgRel(orgGuid), ...body }, token);
    assert.equal(res.status, 201, res.text);
    return res.body;
  };

  test('POST creates a space quota with CF shape, optionally applied to spaces', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const res = await h.post('/v3/space_quotas', {
      name: 'small',
      apps: {
        total_memory_in_mb: 2048,
        per_process_memory_in_mb: 512,
        log_rate_limit_in_bytes_per_second: 1024,
        total_instances: 4,
        per_app_tasks: 2,
      },
      services: { paid_services_allowed: false },
      routes: { total_routes: 1 },
      relationships: { ...orgRel(org.guid), spaces: { data: [{ guid: space.guid }] } },
    });
    assert.equal(res.status, 201, res.text);
    const q = res.body;
    assert.deepEqual(Object.keys(q), ['guid', 'created_at', 'updated_at', 'name', 'apps', 'services', 'routes', 'relationships', 'links']);
    assert.deepEqual(q.apps, {
      total_memory_in_mb: 2048,
      per_process_memory_in_mb: 512,
      log_rate_limit_in_bytes_per_second: 1024,
      total_instances: 4,
      per_app_tasks: 2,
    });
    assert.deepEqual(q.services, { paid_services_allowed: true, total_service_instances: null, total_service_keys: null });
    assert.deepEqual(q.routes, { total_routes: null, total_reserved_ports: null });
    assert.deepEqual(q.relationships, { organization: { data: { guid: org.guid } }, spaces: { data: [{ guid: space.guid }] } });
    assert.deepEqual(q.links, {
      self: { href: `https://api.example.org/v3/space_quotas/${q.guid}` },
      organization: { href: `https://api.example.org/v3/organizations/${org.guid}` },
    });
    assert.equal((await h.get(`/v3/spaces/${space.guid}`)).body.relationships.quota.data.guid, q.guid);
  });

  test('POST validation messages', async () => {
    const org = await h.org();
    const bad = async (body: unknown, detail: string) => cfError(await h.post('/v3/space_quotas', body), 422, ...UNPROCESSABLE, detail);
    await bad({}, "Relationships 'relationships' is not an object, Name can't be blank");
    await bad({ name: 'q', relationships: {} }, "Relationships 'relationships' must include one or more valid relationships");
    await bad(
      { name: 'q', relationships: { spaces: { data: [] } } },
      'Relationships Organization must be structured like this: "organization: {"data": {"guid": "valid-guid"}}"',
    );
    await bad({ name: 'q', domains: {}, relationships: orgRel(org.guid) }, "Unknown field(s): 'domains'");
    await bad(
      { name: 'q', apps: { per_app_tasks: -3 }, relationships: orgRel(org.guid) },
      'Apps Per app tasks must be greater than or equal to 0',
    );
    await bad(
      { name: 'q', relationships: { ...orgRel(org.guid), spaces: { data: 'x' } } },
      'Relationships Spaces must be structured like this: "spaces: {"data": [{"guid": "valid-guid"},{"guid": "valid-guid"}]}"',
    );
    await bad(
      { name: 'q', relationships: orgRel('nope') },
      "Organization with guid 'nope' does not exist, or you do not have access to it.",
    );
    const other = await h.org();
    const foreign = await h.space(other.guid);
    await bad(
      { name: 'q', relationships: { ...orgRel(org.guid), spaces: { data: [{ guid: foreign.guid }] } } },
      `Spaces with guids ["${foreign.guid}"] do not exist within the organization specified, or you do not have access to them.`,
    );
  });

  test('names are unique within an organization', async () => {
    const org = await h.org();
    const q = await createQuota(org.guid);
    cfError(
      await h.post('/v3/space_quotas', { name: q.name, relationships: orgRel(org.guid) }),
      422,
      ...UNPROCESSABLE,
      `Space Quota '${q.name}' already exists.`,
    );
    const other = await h.org();
    assert.equal((await h.post('/v3/space_quotas', { name: q.name, relationships: orgRel(other.guid) })).status, 201);
  });

  test('POST: admins and organization managers create; everyone else is forbidden', async () => {
    const m = await matrix();
    for (const role of ROLES) {
      const res = await h.post('/v3/space_quotas', { name: quotaName(), relationships: orgRel(m.org.guid) }, m.tokens[role]);
      if (role === 'admin' || role === 'org_manager') assert.equal(res.status, 201, `${role}: ${res.text}`);
      else cfError(res, 403, 'CF-NotAuthorized', 10003);
    }
  });

  test('reading: global readers and org managers see all; space members see quotas of their spaces', async () => {
    const m = await matrix();
    const applied = await createQuota(m.org.guid, { relationships: { ...orgRel(m.org.guid), spaces: { data: [{ guid: m.space.guid }] } } });
    const unapplied = await createQuota(m.org.guid);
    for (const role of ROLES) {
      const seesApplied = GLOBAL_READERS.includes(role) || role === 'org_manager' || SPACE_ROLES.includes(role);
      const seesUnapplied = GLOBAL_READERS.includes(role) || role === 'org_manager';
      const one = await h.get(`/v3/space_quotas/${applied.guid}`, m.tokens[role]);
      if (seesApplied) assert.deepEqual(one.body.relationships.spaces.data, [{ guid: m.space.guid }], role);
      else cfError(one, 404, 'CF-ResourceNotFound', 10010, 'Space quota not found');
      const other = await h.get(`/v3/space_quotas/${unapplied.guid}`, m.tokens[role]);
      assert.equal(other.status, seesUnapplied ? 200 : 404, role);
      const list = await h.get(`/v3/space_quotas?guids=${applied.guid},${unapplied.guid}`, m.tokens[role]);
      const expected = [...(seesApplied ? [applied.guid] : []), ...(seesUnapplied ? [unapplied.guid] : [])];
      assert.deepEqual(
        list.body.resources.map((q: any) => q.guid),
        expected,
        role,
      );
    }
  });

  test('the spaces of a quota are limited to those the caller can see', async () => {
    const org = await h.org();
    const s1 = await h.space(org.guid);
    const s2 = await h.space(org.guid);
    const q = await createQuota(org.guid, {
      relationships: { ...orgRel(org.guid), spaces: { data: [{ guid: s1.guid }, { guid: s2.guid }] } },
    });
    const dev = await h.user();
    await h.role('space_developer', dev.guid, { space: s1.guid });
    const res = await h.get(`/v3/space_quotas/${q.guid}`, dev.token);
    assert.deepEqual(res.body.relationships.spaces.data, [{ guid: s1.guid }]);
  });

  test('lists filter by names, organizations and spaces', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const a = await createQuota(org.guid, { relationships: { ...orgRel(org.guid), spaces: { data: [{ guid: space.guid }] } } });
    const b = await createQuota(org.guid);
    const guids = async (q: string) => (await h.get(`/v3/space_quotas?${q}`)).body.resources.map((x: any) => x.guid);
    assert.deepEqual(await guids(`organization_guids=${org.guid}`), [a.guid, b.guid]);
    assert.deepEqual(await guids(`space_guids=${space.guid}`), [a.guid]);
    assert.deepEqual(await guids(`organization_guids=${org.guid}&names=${b.name}`), [b.guid]);
    assert.deepEqual(await guids(`organization_guids=${org.guid}&order_by=-created_at`), [b.guid, a.guid]);
  });

  test('PATCH updates limits and name; admins and org managers only', async () => {
    const m = await matrix();
    const q = await createQuota(m.org.guid, {
      apps: { total_memory_in_mb: 10 },
      relationships: { ...orgRel(m.org.guid), spaces: { data: [{ guid: m.space.guid }] } },
    });
    const res = await h.patch(`/v3/space_quotas/${q.guid}`, { apps: { total_memory_in_mb: null, per_app_tasks: 3 } }, m.tokens.org_manager);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.apps.total_memory_in_mb, null);
    assert.equal(res.body.apps.per_app_tasks, 3);
    for (const role of ROLES) {
      const r = await h.patch(`/v3/space_quotas/${q.guid}`, { name: `${q.name}-${role}` }, m.tokens[role]);
      if (role === 'admin' || role === 'org_manager') assert.equal(r.status, 200, role);
      else if (role === 'org_auditor' || role === 'no_role') cfError(r, 404, 'CF-ResourceNotFound', 10010, 'Space quota not found');
      else cfError(r, 403, 'CF-NotAuthorized', 10003);
    }
    cfError(
      await h.patch(`/v3/space_quotas/${q.guid}`, { apps: { total_instances: 'x' } }),
      422,
      ...UNPROCESSABLE,
      'Apps Total instances is not a number',
    );
    cfError(await h.patch(`/v3/space_quotas/${q.guid}`, { domains: {} }), 422, ...UNPROCESSABLE, "Unknown field(s): 'domains'");
  });

  test('apply and remove move spaces onto and off a quota', async () => {
    const org = await h.org();
    const s1 = await h.space(org.guid);
    const s2 = await h.space(org.guid);
    const q = await createQuota(org.guid);
    const res = await h.post(`/v3/space_quotas/${q.guid}/relationships/spaces`, { data: [{ guid: s1.guid }, { guid: s2.guid }] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, {
      data: [{ guid: s1.guid }, { guid: s2.guid }],
      links: { self: { href: `https://api.example.org/v3/space_quotas/${q.guid}/relationships/spaces` } },
    });
    const removed = await h.delete(`/v3/space_quotas/${q.guid}/relationships/spaces/${s1.guid}`);
    assert.equal(removed.status, 204);
    assert.equal(removed.text, '');
    assert.equal((await h.get(`/v3/spaces/${s1.guid}`)).body.relationships.quota.data, null);
    assert.deepEqual((await h.get(`/v3/space_quotas/${q.guid}`)).body.relationships.spaces.data, [{ guid: s2.guid }]);
    cfError(
      await h.delete(`/v3/space_quotas/${q.guid}/relationships/spaces/${s1.guid}`),
      422,
      ...UNPROCESSABLE,
      `Unable to remove quota from space with guid '${s1.guid}'. Ensure the space quota is applied to this space.`,
    );
  });

  test('apply validation', async () => {
    const org = await h.org();
    const q = await createQuota(org.guid);
    const url = `/v3/space_quotas/${q.guid}/relationships/spaces`;
    cfError(await h.post(url, { data: {} }), 422, ...UNPROCESSABLE, 'Data must be an array');
    cfError(
      await h.post(url, { data: [{ guid: 'nope' }] }),
      422,
      ...UNPROCESSABLE,
      'Spaces with guids ["nope"] do not exist, or you do not have access to them.',
    );
    const other = await h.org();
    const foreign = await h.space(other.guid);
    cfError(
      await h.post(url, { data: [{ guid: foreign.guid }] }),
      422,
      ...UNPROCESSABLE,
      'Space quotas cannot be applied outside of their owning organization.',
    );
    // An org manager cannot apply to a space of another org they cannot see.
    const manager = await h.user();
    await h.role('organization_manager', manager.guid, { org: org.guid });
    cfError(
      await h.post(url, { data: [{ guid: foreign.guid }] }, manager.token),
      422,
      ...UNPROCESSABLE,
      `Spaces with guids ["${foreign.guid}"] do not exist, or you do not have access to them.`,
    );
  });

  test('apply, remove and delete: admins and org managers only', async () => {
    const m = await matrix();
    const q = await createQuota(m.org.guid, { relationships: { ...orgRel(m.org.guid), spaces: { data: [{ guid: m.space.guid }] } } });
    for (const role of ROLES) {
      if (role === 'admin' || role === 'org_manager') continue;
      const expect = (res: any) =>
        role === 'org_auditor' || role === 'no_role'
          ? cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Space quota not found')
          : cfError(res, 403, 'CF-NotAuthorized', 10003);
      expect(await h.post(`/v3/space_quotas/${q.guid}/relationships/spaces`, { data: [{ guid: m.space.guid }] }, m.tokens[role]));
      expect(await h.delete(`/v3/space_quotas/${q.guid}/relationships/spaces/${m.space.guid}`, m.tokens[role]));
      expect(await h.delete(`/v3/space_quotas/${q.guid}`, m.tokens[role]));
    }
    const t = m.tokens.org_manager;
    assert.equal((await h.delete(`/v3/space_quotas/${q.guid}/relationships/spaces/${m.space.guid}`, t)).status, 204);
    assert.equal((await h.post(`/v3/space_quotas/${q.guid}/relationships/spaces`, { data: [{ guid: m.space.guid }] }, t)).status, 200);
  });

  test('DELETE answers with a job, and refuses a quota still applied', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const q = await createQuota(org.guid, { relationships: { ...orgRel(org.guid), spaces: { data: [{ guid: space.guid }] } } });
    cfError(
      await h.delete(`/v3/space_quotas/${q.guid}`),
      422,
      ...UNPROCESSABLE,
      'This quota is applied to one or more spaces. Remove this quota from all spaces before deleting.',
    );
    await h.delete(`/v3/space_quotas/${q.guid}/relationships/spaces/${space.guid}`);
    const res = await h.delete(`/v3/space_quotas/${q.guid}`);
    assert.equal(res.status, 202);
    assert.match(String(res.headers.location), /^https:\/\/api\.example\.org\/v3\/jobs\/[0-9a-f-]{36}$/);
    cfError(await h.get(`/v3/space_quotas/${q.guid}`), 404, 'CF-ResourceNotFound', 10010, 'Space quota not found');
  });

  test('in a suspended organization its managers cannot change space quotas; admins can', async () => {
    const m = await roleMatrix(h);
    const q = await createQuota(m.org.guid);
    await h.patch(`/v3/organizations/${m.org.guid}`, { suspended: true });
    const t = m.tokens.org_manager;
    cfError(
      await h.post('/v3/space_quotas', { name: quotaName(), relationships: orgRel(m.org.guid) }, t),
      403,
      'CF-OrgSuspended',
      10017,
      'The organization is suspended',
    );
    cfError(await h.patch(`/v3/space_quotas/${q.guid}`, { name: 'x' }, t), 403, 'CF-OrgSuspended', 10017);
    cfError(
      await h.post(`/v3/space_quotas/${q.guid}/relationships/spaces`, { data: [{ guid: m.space.guid }] }, t),
      403,
      'CF-OrgSuspended',
      10017,
    );
    cfError(await h.delete(`/v3/space_quotas/${q.guid}`, t), 403, 'CF-OrgSuspended', 10017);
    assert.equal((await h.get(`/v3/space_quotas/${q.guid}`, t)).status, 200);
    assert.equal((await h.patch(`/v3/space_quotas/${q.guid}`, { name: `${q.name}-admin` })).status, 200);
  });

  test('the quotas bounding a space are its space quota and its organization quota', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const spaceId = (await h.db.selectFrom('spaces').select('id').where('guid', '=', space.guid).executeTakeFirstOrThrow()).id;
    const before = await quotasForSpace(h.db, spaceId);
    assert.equal(before.spaceQuota, null);
    assert.equal(before.orgQuota?.name, 'default');
    const orgQuota = (
      await h.post('/v3/organization_quotas', {
        name: quotaName(),
        apps: { per_app_tasks: 3 },
        relationships: { organizations: { data: [{ guid: org.guid }] } },
      })
    ).body;
    const spaceQuota = await createQuota(org.guid, {
      apps: { total_memory_in_mb: 64 },
      relationships: { ...orgRel(org.guid), spaces: { data: [{ guid: space.guid }] } },
    });
    const after = await quotasForSpace(h.db, spaceId);
    assert.equal(after.orgQuota?.guid, orgQuota.guid);
    assert.equal(after.orgQuota?.per_app_tasks, 3);
    assert.equal(after.spaceQuota?.guid, spaceQuota.guid);
    assert.equal(after.spaceQuota?.total_memory_in_mb, 64);
  });
});
