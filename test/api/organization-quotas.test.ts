import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { ROLES, sharedRoleMatrix } from '../support/role-matrix.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;
let n = 0;
const quotaName = () => `oq-${++n}-${Math.random().toString(16).slice(2, 6)}`;

describeEachStore('organization quotas', (h) => {
  const matrix = sharedRoleMatrix(h);

  const createQuota = async (body: Record<string, unknown> = {}) => {
    const res = await h.post('/v3/organization_quotas', { name: quotaName(), ...body });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };

  test('POST creates a quota with CF shape; limits not given are unlimited (null)', async () => {
    const org = await h.org();
    const res = await h.post('/v3/organization_quotas', {
      name: 'gold',
      apps: {
        total_memory_in_mb: 10240,
        per_process_memory_in_mb: 1024,
        log_rate_limit_in_bytes_per_second: 0,
        total_instances: 10,
        per_app_tasks: 5,
      },
      services: { paid_services_allowed: false, total_service_instances: 3 },
      routes: { total_routes: 4 },
      domains: { total_domains: 1 },
      relationships: { organizations: { data: [{ guid: org.guid }] } },
    });
    assert.equal(res.status, 201, res.text);
    const q = res.body;
    assert.deepEqual(Object.keys(q), [
      'guid',
      'created_at',
      'updated_at',
      'name',
      'apps',
      'services',
      'routes',
      'domains',
      'relationships',
      'links',
    ]);
    assert.equal(q.name, 'gold');
    assert.deepEqual(q.apps, {
      total_memory_in_mb: 10240,
      per_process_memory_in_mb: 1024,
      log_rate_limit_in_bytes_per_second: 0,
      total_instances: 10,
      per_app_tasks: 5,
    });
    assert.deepEqual(Object.keys(q.apps), [
      'total_memory_in_mb',
      'per_process_memory_in_mb',
      'log_rate_limit_in_bytes_per_second',
      'total_instances',
      'per_app_tasks',
    ]);
    // taskd has no services, routes or domains: those limits read as unlimited.
    assert.deepEqual(q.services, { paid_services_allowed: true, total_service_instances: null, total_service_keys: null });
    assert.deepEqual(q.routes, { total_routes: null, total_reserved_ports: null });
    assert.deepEqual(q.domains, { total_domains: null });
    assert.deepEqual(q.relationships, { organizations: { data: [{ guid: org.guid }] } });
    assert.deepEqual(q.links, { self: { href: `https://api.example.org/v3/organization_quotas/${q.guid}` } });
    assert.equal((await h.get(`/v3/organizations/${org.guid}`)).body.relationships.quota.data.guid, q.guid);

    const bare = await createQuota();
    assert.deepEqual(bare.apps, {
      total_memory_in_mb: null,
      per_process_memory_in_mb: null,
      log_rate_limit_in_bytes_per_second: null,
      total_instances: null,
      per_app_tasks: null,
    });
    assert.deepEqual(bare.relationships.organizations.data, []);
  });

  test('new organizations get the seeded default quota', async () => {
    const org = await h.org();
    const quotaGuid = org.relationships.quota.data.guid;
    const q = await h.get(`/v3/organization_quotas/${quotaGuid}`);
    assert.equal(q.status, 200);
    assert.equal(q.body.name, 'default');
    assert.ok(q.body.relationships.organizations.data.some((o: any) => o.guid === org.guid));
  });

  test('POST validation messages', async () => {
    const bad = async (body: unknown, detail: string) =>
      cfError(await h.post('/v3/organization_quotas', body), 422, ...UNPROCESSABLE, detail);
    await bad({}, "Name can't be blank");
    await bad({ name: '' }, "Name is too short (minimum is 1 character), Name can't be blank");
    await bad({ name: 5, foo: 1 }, "Unknown field(s): 'foo', Name must be a string");
    await bad({ name: 'x'.repeat(251) }, 'Name is too long (maximum is 250 characters)');
    await bad({ name: 'q', apps: 5 }, 'Apps must be an object');
    await bad(
      {
        name: 'q',
        apps: { total_memory_in_mb: -1, per_process_memory_in_mb: 1.5, total_instances: 'many', per_app_tasks: 2147483648, bogus: 1 },
      },
      "Apps Unknown field(s): 'bogus', Apps Total memory in mb must be greater than or equal to 0, Apps Per process memory in mb must be an integer, Apps Total instances is not a number, Apps Per app tasks must be less than or equal to 2147483647",
    );
    await bad(
      { name: 'q', apps: { log_rate_limit_in_bytes_per_second: -1 } },
      'Apps Log rate limit in bytes per second must be greater than or equal to 0',
    );
    await bad(
      { name: 'q', services: { paid_services_allowed: 'yes', total_service_keys: -2 } },
      'Services Total service keys must be greater than or equal to 0, Services Paid services allowed must be a boolean',
    );
    await bad({ name: 'q', routes: { total_routes: true } }, 'Routes Total routes is not a number');
    await bad({ name: 'q', domains: { total_domains: -1 } }, 'Domains Total domains must be greater than or equal to 0');
    await bad({ name: 'q', relationships: 'x' }, "Relationships 'relationships' is not an object");
    await bad(
      { name: 'q', relationships: { organizations: [{ guid: 'x' }] } },
      'Relationships Organizations must be structured like this: "organizations: {"data": [{"guid": "valid-guid"},{"guid": "valid-guid"}]}"',
    );
    await bad(
      { name: 'q', relationships: { organizations: { data: [{ guid: 'nope' }] } } },
      'Organizations with guids ["nope"] do not exist, or you do not have access to them.',
    );
    // Integer strings are numbers to CF.
    const res = await h.post('/v3/organization_quotas', { name: quotaName(), apps: { total_memory_in_mb: '512' } });
    assert.equal(res.body.apps.total_memory_in_mb, 512);
  });

  test('names are unique', async () => {
    const q = await createQuota();
    cfError(
      await h.post('/v3/organization_quotas', { name: q.name }),
      422,
      ...UNPROCESSABLE,
      `Organization Quota '${q.name}' already exists.`,
    );
    const other = await createQuota();
    cfError(
      await h.patch(`/v3/organization_quotas/${other.guid}`, { name: q.name }),
      422,
      ...UNPROCESSABLE,
      `Organization Quota '${q.name}' already exists.`,
    );
  });

  test('only admins may create, update, delete or apply organization quotas', async () => {
    const m = await matrix();
    const q = await createQuota();
    for (const role of ROLES) {
      if (role === 'admin') continue;
      const t = m.tokens[role];
      cfError(await h.post('/v3/organization_quotas', { name: quotaName() }, t), 403, 'CF-NotAuthorized', 10003);
      // The caller is checked before the body and the quota.
      cfError(await h.patch(`/v3/organization_quotas/${q.guid}`, { name: 5 }, t), 403, 'CF-NotAuthorized', 10003);
      cfError(await h.patch('/v3/organization_quotas/nope', { name: 'x' }, t), 403, 'CF-NotAuthorized', 10003);
      cfError(await h.delete(`/v3/organization_quotas/${q.guid}`, t), 403, 'CF-NotAuthorized', 10003);
      cfError(
        await h.post(`/v3/organization_quotas/${q.guid}/relationships/organizations`, { data: [{ guid: m.org.guid }] }, t),
        403,
        'CF-NotAuthorized',
        10003,
      );
    }
    assert.equal((await h.get(`/v3/organization_quotas/${q.guid}`)).body.name, q.name);
  });

  test('every user may read every quota, but sees only the organizations they can see', async () => {
    const m = await matrix();
    const hidden = await h.org();
    const q = await createQuota({ relationships: { organizations: { data: [{ guid: m.org.guid }, { guid: hidden.guid }] } } });
    for (const role of ROLES) {
      const res = await h.get(`/v3/organization_quotas/${q.guid}`, m.tokens[role]);
      assert.equal(res.status, 200, role);
      const orgs = res.body.relationships.organizations.data.map((o: any) => o.guid);
      if (['admin', 'admin_read_only', 'global_auditor'].includes(role)) assert.deepEqual(orgs, [m.org.guid, hidden.guid], role);
      else if (role === 'no_role') assert.deepEqual(orgs, [], role);
      else assert.deepEqual(orgs, [m.org.guid], role);
      const list = await h.get(`/v3/organization_quotas?guids=${q.guid}`, m.tokens[role]);
      assert.equal(list.body.pagination.total_results, 1, role);
    }
    cfError(await h.get('/v3/organization_quotas/nope'), 404, 'CF-ResourceNotFound', 10010, 'Organization quota not found');
  });

  test('lists filter by guids, names and organizations, and page', async () => {
    const a = await createQuota();
    const b = await createQuota();
    const org = await h.org();
    await h.post(`/v3/organization_quotas/${b.guid}/relationships/organizations`, { data: [{ guid: org.guid }] });
    const names = await h.get(`/v3/organization_quotas?names=${a.name},${b.name}&order_by=-created_at`);
    assert.deepEqual(
      names.body.resources.map((q: any) => q.guid),
      [b.guid, a.guid],
    );
    const byOrg = await h.get(`/v3/organization_quotas?organization_guids=${org.guid}`);
    assert.deepEqual(
      byOrg.body.resources.map((q: any) => q.guid),
      [b.guid],
    );
    const u = await h.user();
    const hiddenOrg = await h.get(`/v3/organization_quotas?organization_guids=${org.guid}`, u.token);
    assert.equal(hiddenOrg.body.pagination.total_results, 0);
    const page = await h.get(`/v3/organization_quotas?guids=${a.guid},${b.guid}&per_page=1`);
    assert.equal(page.body.pagination.total_pages, 2);
    assert.equal(page.body.resources.length, 1);
    cfError(await h.get('/v3/organization_quotas?space_guids=x'), 400, 'CF-BadQueryParameter', 10005);
  });

  test('PATCH changes the named limits only; null makes a limit unlimited', async () => {
    const q = await createQuota({ apps: { total_memory_in_mb: 100, per_app_tasks: 2 } });
    const res = await h.patch(`/v3/organization_quotas/${q.guid}`, {
      name: `${q.name}-x`,
      apps: { per_app_tasks: null, total_instances: 7 },
      routes: { total_routes: 9 },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.name, `${q.name}-x`);
    assert.deepEqual(res.body.apps, {
      total_memory_in_mb: 100,
      per_process_memory_in_mb: null,
      log_rate_limit_in_bytes_per_second: null,
      total_instances: 7,
      per_app_tasks: null,
    });
    assert.deepEqual(res.body.routes, { total_routes: null, total_reserved_ports: null });
    cfError(
      await h.patch(`/v3/organization_quotas/${q.guid}`, { name: '' }),
      422,
      ...UNPROCESSABLE,
      'Name is too short (minimum is 1 character)',
    );
    cfError(
      await h.patch(`/v3/organization_quotas/${q.guid}`, { relationships: {} }),
      422,
      ...UNPROCESSABLE,
      "Unknown field(s): 'relationships'",
    );
    cfError(
      await h.patch('/v3/organization_quotas/nope', { name: 'x' }),
      404,
      'CF-ResourceNotFound',
      10010,
      'Organization quota not found',
    );
  });

  test('applying a quota moves organizations to it', async () => {
    const q = await createQuota();
    const o1 = await h.org();
    const o2 = await h.org();
    const res = await h.post(`/v3/organization_quotas/${q.guid}/relationships/organizations`, {
      data: [{ guid: o1.guid }, { guid: o2.guid }],
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, {
      data: [{ guid: o1.guid }, { guid: o2.guid }],
      links: { self: { href: `https://api.example.org/v3/organization_quotas/${q.guid}/relationships/organizations` } },
    });
    assert.equal((await h.get(`/v3/organizations/${o1.guid}`)).body.relationships.quota.data.guid, q.guid);
    const defaultQuota = o1.relationships.quota.data.guid;
    const back = await h.post(`/v3/organization_quotas/${defaultQuota}/relationships/organizations`, { data: [{ guid: o1.guid }] });
    assert.ok(back.body.data.some((o: any) => o.guid === o1.guid));
    assert.deepEqual((await h.get(`/v3/organization_quotas/${q.guid}`)).body.relationships.organizations.data, [{ guid: o2.guid }]);
  });

  test('apply validation: bad bodies are 400, unknown organizations and quotas are refused', async () => {
    const q = await createQuota();
    const url = `/v3/organization_quotas/${q.guid}/relationships/organizations`;
    cfError(
      await h.post(url, {}),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Data can't be blank, Data must be an array",
    );
    cfError(await h.post(url, { data: [] }), 400, 'CF-BadQueryParameter', 10005, "The query parameter is invalid: Data can't be blank");
    cfError(
      await h.post(url, { data: [{ guid: 1 }] }),
      400,
      'CF-BadQueryParameter',
      10005,
      'The query parameter is invalid: Invalid data type: Data[0] guid should be a string.',
    );
    cfError(
      await h.post(url, { data: [{ guid: 'a' }, { guid: 'b' }] }),
      422,
      ...UNPROCESSABLE,
      'Organizations with guids ["a", "b"] do not exist',
    );
    cfError(
      await h.post('/v3/organization_quotas/nope/relationships/organizations', { data: [{ guid: 'a' }] }),
      404,
      'CF-ResourceNotFound',
      10010,
      'Organization quota not found',
    );
  });

  test('DELETE answers with a job, and refuses a quota still in use', async () => {
    const q = await createQuota();
    const org = await h.org();
    await h.post(`/v3/organization_quotas/${q.guid}/relationships/organizations`, { data: [{ guid: org.guid }] });
    cfError(
      await h.delete(`/v3/organization_quotas/${q.guid}`),
      422,
      ...UNPROCESSABLE,
      'This quota is applied to one or more organizations. Apply different quotas to those organizations before deleting.',
    );
    const unused = await createQuota();
    const res = await h.delete(`/v3/organization_quotas/${unused.guid}`);
    assert.equal(res.status, 202);
    assert.match(String(res.headers.location), /^https:\/\/api\.example\.org\/v3\/jobs\/[0-9a-f-]{36}$/);
    cfError(await h.get(`/v3/organization_quotas/${unused.guid}`), 404, 'CF-ResourceNotFound', 10010, 'Organization quota not found');
    cfError(await h.delete('/v3/organization_quotas/nope'), 404, 'CF-ResourceNotFound', 10010, 'Organization quota not found');
  });
});
