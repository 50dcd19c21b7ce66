import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;

describeEachStore('app environment variables', (h) => {
  const matrix = sharedRoleMatrix(h);

  async function freshApp(env: Record<string, string> = {}) {
    const org = await h.org();
    const space = await h.space(org.guid);
    return { org, space, app: await h.app(space.guid, undefined, { environment_variables: env }) };
  }

  test('GET shows the variables with CF links', async () => {
    const { app } = await freshApp({ A: '1', B: 'two' });
    const res = await h.get(`/v3/apps/${app.guid}/environment_variables`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      var: { A: '1', B: 'two' },
      links: {
        self: { href: `https://api.example.org/v3/apps/${app.guid}/environment_variables` },
        app: { href: `https://api.example.org/v3/apps/${app.guid}` },
      },
    });
  });

  test('PATCH merges: new keys are added, given keys replaced, null deletes, others stay', async () => {
    const { app } = await freshApp({ KEEP: 'k', CHANGE: 'old', DROP: 'd' });
    const res = await h.patch(`/v3/apps/${app.guid}/environment_variables`, {
      var: { CHANGE: 'new', DROP: null, ADDED: 'a', NEVER_SET: null },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.var, { KEEP: 'k', CHANGE: 'new', ADDED: 'a' });
    assert.equal(res.body.links.self.href, `https://api.example.org/v3/apps/${app.guid}/environment_variables`);
    assert.deepEqual((await h.get(`/v3/apps/${app.guid}/environment_variables`)).body.var, { KEEP: 'k', CHANGE: 'new', ADDED: 'a' });
    const empty = await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: {} });
    assert.deepEqual(empty.body.var, { KEEP: 'k', CHANGE: 'new', ADDED: 'a' });
  });

  test('concurrent PATCHes both land', async () => {
    const { app } = await freshApp();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { [`K${i}`]: String(i) } })),
    );
    assert.ok(results.every((r) => r.status === 200));
    const vars = (await h.get(`/v3/apps/${app.guid}/environment_variables`)).body.var;
    assert.deepEqual(Object.keys(vars).sort(), ['K0', 'K1', 'K2', 'K3', 'K4', 'K5', 'K6', 'K7']);
  });

  test('PATCH validation uses CF messages, before the app is looked up', async () => {
    const { app } = await freshApp({ A: '1' });
    const url = `/v3/apps/${app.guid}/environment_variables`;
    cfError(await h.patch(url, {}), 422, ...UNPROCESSABLE, 'Var must be an object');
    cfError(await h.patch(url, { var: [], extra: 1 }), 422, ...UNPROCESSABLE, "Unknown field(s): 'extra', Var must be an object");
    cfError(await h.patch(url, { var: { VCAP_SERVICES: 'x' } }), 422, ...UNPROCESSABLE, 'Var cannot start with VCAP_');
    cfError(await h.patch(url, { var: { vmc_thing: 'x' } }), 422, ...UNPROCESSABLE, 'Var cannot start with VMC_');
    cfError(await h.patch(url, { var: { port: '8080' } }), 422, ...UNPROCESSABLE, 'Var cannot set PORT');
    cfError(await h.patch(url, { var: { '': 'x' } }), 422, ...UNPROCESSABLE, 'Var key must be a minimum length of 1');
    cfError(
      await h.patch(url, { var: { N: 5, B: true } }),
      422,
      ...UNPROCESSABLE,
      "Non-string value in environment variable for key 'N', value '5', Non-string value in environment variable for key 'B', value 'true'",
    );
    // A PORTABLE key is fine: only PORT itself is reserved.
    assert.equal((await h.patch(url, { var: { PORTABLE: 'yes' } })).status, 200);
    assert.deepEqual((await h.get(url)).body.var, { A: '1', PORTABLE: 'yes' });
    cfError(await h.patch('/v3/apps/nope/environment_variables', { var: { PORT: '1' } }), 422, ...UNPROCESSABLE, 'Var cannot set PORT');
    cfError(await h.patch('/v3/apps/nope/environment_variables', { var: {} }), 404, 'CF-ResourceNotFound', 10010, 'App not found');
    cfError(await h.get('/v3/apps/nope/environment_variables'), 404, 'CF-ResourceNotFound', 10010, 'App not found');
  });

  test('a value nested 100,000 deep is a 422 naming it elided, not a 500', async () => {
    // Found by the hostile-input check: echoing the value with JSON.stringify overflowed the stack.
    const { app } = await freshApp();
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await h.request('PATCH', `/v3/apps/${app.guid}/environment_variables`, {
      token: h.admin.token,
      payload: `{"var":{"N":${deep}}}`,
      headers: { 'content-type': 'application/json' },
    });
    cfError(res, 422, ...UNPROCESSABLE, "Non-string value in environment variable for key 'N', value '[…]'");
  });

  test('GET: admin, admin_read_only, space developers and supporters (as CC since #2388); other readers are forbidden', async () => {
    const m = await matrix();
    const app = await h.app(m.space.guid, undefined, { environment_variables: { SECRET: 's3cr3t' } });
    const expected: Record<RoleName, number> = {
      admin: 200,
      admin_read_only: 200,
      global_auditor: 403,
      org_manager: 403,
      org_auditor: 404,
      space_developer: 200,
      space_manager: 403,
      space_auditor: 403,
      space_supporter: 200,
      no_role: 404,
    };
    for (const role of ROLES) {
      const res = await h.get(`/v3/apps/${app.guid}/environment_variables`, m.tokens[role]);
      if (expected[role] === 200) assert.deepEqual(res.body.var, { SECRET: 's3cr3t' }, role);
      else if (expected[role] === 403) cfError(res, 403, 'CF-NotAuthorized', 10003);
      else cfError(res, 404, 'CF-ResourceNotFound', 10010, 'App not found');
      assert.equal(res.status, expected[role], role);
    }
  });

  test('PATCH: admins and space developers may; other readers are forbidden; non-readers get 404', async () => {
    const m = await matrix();
    const app = await h.app(m.space.guid);
    for (const role of ROLES) {
      const res = await h.patch(
        `/v3/apps/${app.guid}/environment_variables`,
        { var: { [`BY_${role.toUpperCase()}`]: 'x' } },
        m.tokens[role],
      );
      if (role === 'admin' || role === 'space_developer') assert.equal(res.status, 200, role);
      else if (role === 'org_auditor' || role === 'no_role') cfError(res, 404, 'CF-ResourceNotFound', 10010, 'App not found');
      else cfError(res, 403, 'CF-NotAuthorized', 10003);
    }
    assert.deepEqual((await h.get(`/v3/apps/${app.guid}/environment_variables`)).body.var, { BY_ADMIN: 'x', BY_SPACE_DEVELOPER: 'x' });
  });

  test('PATCH in a suspended organization is refused to developers, not admins', async () => {
    const { org, space, app } = await freshApp();
    const dev = await h.user();
    await h.role('space_developer', dev.guid, { space: space.guid });
    await h.patch(`/v3/organizations/${org.guid}`, { suspended: true });
    cfError(
      await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { A: 'b' } }, dev.token),
      403,
      'CF-OrgSuspended',
      10017,
      'The organization is suspended',
    );
    assert.equal((await h.get(`/v3/apps/${app.guid}/environment_variables`, dev.token)).status, 200);
    assert.equal((await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { A: 'b' } })).status, 200);
  });
});
