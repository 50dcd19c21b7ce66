import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;
const INVALID_SPACE = 'Invalid space. Ensure that the space exists and you have access to it.';

const body = (spaceGuid: string, extra: Record<string, unknown> = {}) => ({
  name: `app-${Math.random().toString(16).slice(2, 8)}`,
  relationships: { space: { data: { guid: spaceGuid } } },
  ...extra,
});

async function freshSpace(h: Harness) {
  const org = await h.org();
  return { org, space: await h.space(org.guid) };
}

describeEachStore('apps', (h) => {
  const matrix = sharedRoleMatrix(h);

  test('POST creates a STOPPED buildpack app with CF defaults, shape and links', async () => {
    const { space } = await freshSpace(h);
    const res = await h.post(
      '/v3/apps',
      body(space.guid, { name: 'web-app', metadata: { labels: { tier: 'web' }, annotations: { owner: 'me' } } }),
    );
    assert.equal(res.status, 201);
    const app = res.body;
    assert.deepEqual(Object.keys(app), [
      'guid',
      'created_at',
      'updated_at',
      'name',
      'state',
      'lifecycle',
      'relationships',
      'metadata',
      'links',
    ]);
    assert.match(app.guid, /^[0-9a-f-]{36}$/);
    assert.match(app.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(app.name, 'web-app');
    assert.equal(app.state, 'STOPPED');
    assert.deepEqual(app.lifecycle, { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs4' } });
    assert.deepEqual(app.relationships, { space: { data: { guid: space.guid } }, current_droplet: { data: null } });
    assert.deepEqual(app.metadata, { labels: { tier: 'web' }, annotations: { owner: 'me' } });
    const self = `https://api.example.org/v3/apps/${app.guid}`;
    assert.deepEqual(app.links, {
      self: { href: self },
      environment_variables: { href: `${self}/environment_variables` },
      space: { href: `https://api.example.org/v3/spaces/${space.guid}` },
      processes: { href: `${self}/processes` },
      packages: { href: `${self}/packages` },
      current_droplet: { href: `${self}/droplets/current` },
      droplets: { href: `${self}/droplets` },
      tasks: { href: `${self}/tasks` },
      start: { href: `${self}/actions/start`, method: 'POST' },
      stop: { href: `${self}/actions/stop`, method: 'POST' },
      revisions: { href: `${self}/revisions` },
      deployed_revisions: { href: `${self}/revisions/deployed` },
      features: { href: `${self}/features` },
    });
    const again = await h.get(`/v3/apps/${app.guid}`);
    assert.deepEqual(again.body, app);
  });

  test('POST accepts buildpacks, a stack, a docker lifecycle and environment variables', async () => {
    const { space } = await freshSpace(h);
    const bp = await h.post(
      '/v3/apps',
      body(space.guid, { lifecycle: { type: 'buildpack', data: { buildpacks: ['ruby_buildpack'], stack: 'cflinuxfs3' } } }),
    );
    assert.equal(bp.status, 201);
    assert.deepEqual(bp.body.lifecycle, { type: 'buildpack', data: { buildpacks: ['ruby_buildpack'], stack: 'cflinuxfs3' } });
    const docker = await h.post('/v3/apps', body(space.guid, { lifecycle: { type: 'docker', data: {} } }));
    assert.equal(docker.status, 201);
    assert.deepEqual(docker.body.lifecycle, { type: 'docker', data: {} });
    const env = await h.post('/v3/apps', body(space.guid, { environment_variables: { GREETING: 'hello', EMPTY: '' } }));
    assert.equal(env.status, 201);
    const vars = await h.get(`/v3/apps/${env.body.guid}/environment_variables`);
    assert.deepEqual(vars.body.var, { GREETING: 'hello', EMPTY: '' });
  });

  test('POST strips whitespace around the name', async () => {
    const { space } = await freshSpace(h);
    const res = await h.post('/v3/apps', body(space.guid, { name: '  spaced  ' }));
    assert.equal(res.status, 201);
    assert.equal(res.body.name, 'spaced');
  });

  test('POST validation failures are joined into one 422 with CF messages', async () => {
    const { space } = await freshSpace(h);
    cfError(
      await h.post('/v3/apps', { name: 5, foo: 1 }),
      422,
      ...UNPROCESSABLE,
      "Unknown field(s): 'foo', Relationships 'relationships' is not an object, Name must be a string",
    );
    cfError(
      await h.post('/v3/apps', { name: 'a', relationships: {} }),
      422,
      ...UNPROCESSABLE,
      "Relationships 'relationships' must include one or more valid relationships",
    );
    cfError(
      await h.post('/v3/apps', { name: 'a', relationships: { organization: { data: { guid: 'x' } } } }),
      422,
      ...UNPROCESSABLE,
      'Relationships Unknown field(s): \'organization\', Relationships Space can\'t be blank, Relationships Space must be structured like this: "space: {"data": {"guid": "valid-guid"}}"',
    );
    cfError(
      await h.post('/v3/apps', { name: 'a', relationships: { space: { guid: space.guid } } }),
      422,
      ...UNPROCESSABLE,
      'Relationships Space must be structured like this: "space: {"data": {"guid": "valid-guid"}}"',
    );
    cfError(
      await h.post('/v3/apps', { name: 'a', relationships: { space: { data: { guid: 7 } } } }),
      422,
      ...UNPROCESSABLE,
      'Relationships Space Guid must be a string, Relationships Space Guid must be between 1 and 200 characters',
    );
    cfError(
      await h.post('/v3/apps', body(space.guid, { metadata: { labels: 'x' } })),
      422,
      ...UNPROCESSABLE,
      "Metadata 'labels' is not an object",
    );
  });

  test('POST refuses blank, unprintable and over-long names', async () => {
    const { space } = await freshSpace(h);
    cfError(await h.post('/v3/apps', body(space.guid, { name: '   ' })), 422, ...UNPROCESSABLE, 'name is not present, name is invalid');
    cfError(await h.post('/v3/apps', body(space.guid, { name: 'bad\u0007name' })), 422, ...UNPROCESSABLE, 'name is invalid');
    cfError(await h.post('/v3/apps', body(space.guid, { name: 'x'.repeat(256) })), 422, ...UNPROCESSABLE, 'name is invalid');
    assert.equal((await h.post('/v3/apps', body(space.guid, { name: 'é'.repeat(255) }))).status, 201);
  });

  test('POST checks environment variable keys and values', async () => {
    const { space } = await freshSpace(h);
    cfError(
      await h.post('/v3/apps', body(space.guid, { environment_variables: 'x' })),
      422,
      ...UNPROCESSABLE,
      'Environment variables must be an object',
    );
    cfError(
      await h.post('/v3/apps', body(space.guid, { environment_variables: { VCAP_X: 'a', vmc_y: 'b', PORT: '1', '': 'c' } })),
      422,
      ...UNPROCESSABLE,
      'environment_variables cannot start with VCAP_, environment_variables cannot start with VMC_, environment_variables cannot set PORT, environment_variables key must be a minimum length of 1',
    );
    cfError(
      await h.post('/v3/apps', body(space.guid, { environment_variables: { COUNT: 5 } })),
      422,
      ...UNPROCESSABLE,
      "Non-string value in environment variable for key 'COUNT', value '5'",
    );
  });

  test('POST checks the lifecycle', async () => {
    const { space } = await freshSpace(h);
    cfError(
      await h.post('/v3/apps', body(space.guid, { lifecycle: { type: 'cnb', data: {} } })),
      422,
      ...UNPROCESSABLE,
      'Lifecycle type is not included in the list: buildpack, docker',
    );
    cfError(
      await h.post('/v3/apps', body(space.guid, { lifecycle: { type: 'buildpack' } })),
      422,
      ...UNPROCESSABLE,
      'Lifecycle data must be an object',
    );
    cfError(
      await h.post('/v3/apps', body(space.guid, { lifecycle: { type: 'buildpack', data: { buildpacks: 'ruby', stack: 5, foo: 1 } } })),
      422,
      ...UNPROCESSABLE,
      "Lifecycle Unknown field(s): 'foo', Lifecycle Stack must be a string, Lifecycle Stack must be between 1 and 4096 characters, Lifecycle Buildpacks must be an array",
    );
    cfError(
      await h.post('/v3/apps', body(space.guid, { lifecycle: { type: 'buildpack', data: { buildpacks: [1, ''] } } })),
      422,
      ...UNPROCESSABLE,
      'Lifecycle Buildpacks can only contain strings, Lifecycle Buildpacks entries must be between 1 and 4096 characters',
    );
    cfError(
      await h.post('/v3/apps', body(space.guid, { lifecycle: { type: 'docker', data: { image: 'x' } } })),
      422,
      ...UNPROCESSABLE,
      "Lifecycle Unknown field(s): 'image'",
    );
    cfError(
      await h.post('/v3/apps', body(space.guid, { lifecycle: { type: 'buildpack', data: { stack: 'windows' } } })),
      422,
      ...UNPROCESSABLE,
      'Stack must be an existing stack',
    );
  });

  test('POST into a missing space is an invalid space; duplicate names in a space are refused', async () => {
    cfError(await h.post('/v3/apps', body('00000000-0000-4000-8000-000000000000')), 422, ...UNPROCESSABLE, INVALID_SPACE);
    const { org, space } = await freshSpace(h);
    await h.app(space.guid, 'twin');
    cfError(
      await h.post('/v3/apps', body(space.guid, { name: 'Twin' })),
      422,
      'CF-UniquenessError',
      10016,
      "App with the name 'Twin' already exists.",
    );
    const other = await h.space(org.guid);
    assert.equal((await h.post('/v3/apps', body(other.guid, { name: 'twin' }))).status, 201);
  });

  test('POST: admins and space developers create; readers are forbidden; others see an invalid space', async () => {
    const m = await matrix();
    const expected: Record<RoleName, number> = {
      admin: 201,
      admin_read_only: 403,
      global_auditor: 403,
      org_manager: 403,
      org_auditor: 422,
      space_developer: 201,
      space_manager: 403,
      space_auditor: 403,
      space_supporter: 403,
      no_role: 422,
    };
    for (const role of ROLES) {
      const res = await h.post('/v3/apps', body(m.space.guid), m.tokens[role]);
      assert.equal(res.status, expected[role], `${role}: ${res.text}`);
      if (expected[role] === 403) cfError(res, 403, 'CF-NotAuthorized', 10003);
      if (expected[role] === 422) cfError(res, 422, ...UNPROCESSABLE, INVALID_SPACE);
    }
  });

  test('writes in a suspended organization are refused to developers but not to admins', async () => {
    const { org, space } = await freshSpace(h);
    const dev = await h.user();
    await h.role('space_developer', dev.guid, { space: space.guid });
    const app = await h.app(space.guid);
    await h.patch(`/v3/organizations/${org.guid}`, { suspended: true });
    cfError(await h.post('/v3/apps', body(space.guid), dev.token), 403, 'CF-OrgSuspended', 10017, 'The organization is suspended');
    cfError(await h.patch(`/v3/apps/${app.guid}`, { name: 'renamed' }, dev.token), 403, 'CF-OrgSuspended', 10017);
    cfError(await h.delete(`/v3/apps/${app.guid}`, dev.token), 403, 'CF-OrgSuspended', 10017);
    assert.equal((await h.get(`/v3/apps/${app.guid}`, dev.token)).status, 200);
    assert.equal((await h.post('/v3/apps', body(space.guid))).status, 201);
  });

  test('GET one: every reader of the space sees the app; others get 404 App not found', async () => {
    const m = await matrix();
    const app = await h.app(m.space.guid);
    for (const role of ROLES) {
      const res = await h.get(`/v3/apps/${app.guid}`, m.tokens[role]);
      if (role === 'org_auditor' || role === 'no_role') cfError(res, 404, 'CF-ResourceNotFound', 10010, 'App not found');
      else assert.equal(res.status, 200, role);
    }
    cfError(await h.get('/v3/apps/nope'), 404, 'CF-ResourceNotFound', 10010, 'App not found');
  });

  test('GET list is scoped to readable spaces', async () => {
    const m = await matrix();
    const app = await h.app(m.space.guid);
    const elsewhere = await freshSpace(h);
    const hidden = await h.app(elsewhere.space.guid);
    for (const role of ROLES) {
      const res = await h.get(`/v3/apps?guids=${app.guid},${hidden.guid}`, m.tokens[role]);
      assert.equal(res.status, 200);
      const guids = res.body.resources.map((a: any) => a.guid);
      if (role === 'org_auditor' || role === 'no_role') assert.deepEqual(guids, [], role);
      else if (['admin', 'admin_read_only', 'global_auditor'].includes(role)) assert.deepEqual(guids, [app.guid, hidden.guid], role);
      else assert.deepEqual(guids, [app.guid], role);
    }
  });

  test('GET list filters by names, spaces, organizations, stacks, lifecycle type and labels', async () => {
    const a = await freshSpace(h);
    const b = await freshSpace(h);
    const one = await h.app(a.space.guid, 'Alpha', { metadata: { labels: { env: 'prod' } } });
    const two = await h.app(a.space.guid, 'beta', { lifecycle: { type: 'docker', data: {} } });
    const three = await h.app(b.space.guid, 'gamma', {
      lifecycle: { type: 'buildpack', data: { stack: 'cflinuxfs3' } },
      metadata: { labels: { env: 'dev' } },
    });
    const scoped = `space_guids=${a.space.guid},${b.space.guid}`;
    const guidsOf = async (q: string) => {
      const res = await h.get(`/v3/apps?${q}`);
      assert.equal(res.status, 200, res.text);
      return res.body.resources.map((x: any) => x.guid);
    };
    assert.deepEqual(await guidsOf(`${scoped}&names=alpha,gamma`), [one.guid, three.guid]);
    assert.deepEqual(await guidsOf(`space_guids=${a.space.guid}`), [one.guid, two.guid]);
    assert.deepEqual(await guidsOf(`organization_guids=${b.org.guid}`), [three.guid]);
    assert.deepEqual(await guidsOf(`${scoped}&stacks=cflinuxfs3`), [three.guid]);
    assert.deepEqual(await guidsOf(`${scoped}&stacks=cflinuxfs4`), [one.guid]);
    assert.deepEqual(await guidsOf(`${scoped}&lifecycle_type=docker`), [two.guid]);
    assert.deepEqual(await guidsOf(`${scoped}&label_selector=env`), [one.guid, three.guid]);
    assert.deepEqual(await guidsOf(`${scoped}&label_selector=env%3Ddev`), [three.guid]);
    assert.deepEqual(await guidsOf(`${scoped}&order_by=-name`), [three.guid, two.guid, one.guid]);
  });

  test('GET list pages with CF links and rejects bad parameters', async () => {
    const { space } = await freshSpace(h);
    for (const n of ['a1', 'a2', 'a3']) await h.app(space.guid, n);
    const res = await h.get(`/v3/apps?space_guids=${space.guid}&per_page=2&page=2&order_by=name`);
    assert.equal(res.body.pagination.total_results, 3);
    assert.equal(res.body.pagination.total_pages, 2);
    assert.deepEqual(
      res.body.resources.map((a: any) => a.name),
      ['a3'],
    );
    assert.equal(
      res.body.pagination.previous.href,
      `https://api.example.org/v3/apps?order_by=%2Bname&page=1&per_page=2&space_guids=${space.guid}`,
    );
    assert.equal(res.body.pagination.next, null);
    cfError(
      await h.get('/v3/apps?order_by=guid'),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Order by can only be: 'created_at', 'updated_at', 'name', 'state'",
    );
    const unknown = await h.get('/v3/apps?app_guids=x');
    cfError(unknown, 400, 'CF-BadQueryParameter', 10005);
    assert.match(
      unknown.body.errors[0].detail,
      /^The query parameter is invalid: Unknown query parameter\(s\): 'app_guids'\. Valid parameters are: /,
    );
  });

  test('PATCH renames, changes the stack and merges metadata', async () => {
    const { space } = await freshSpace(h);
    const app = await h.app(space.guid, 'old', { metadata: { labels: { a: '1', b: '2' } } });
    const res = await h.patch(`/v3/apps/${app.guid}`, {
      name: 'new',
      lifecycle: { type: 'buildpack', data: { stack: 'cflinuxfs3' } },
      metadata: { labels: { a: null, c: '3' } },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.name, 'new');
    assert.deepEqual(res.body.lifecycle, { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs3' } });
    assert.deepEqual(res.body.metadata.labels, { b: '2', c: '3' });
    const buildpacks = await h.patch(`/v3/apps/${app.guid}`, { lifecycle: { data: { buildpacks: ['go_buildpack'] } } });
    assert.deepEqual(buildpacks.body.lifecycle, { type: 'buildpack', data: { buildpacks: ['go_buildpack'], stack: 'cflinuxfs3' } });
    assert.equal((await h.get(`/v3/apps/${app.guid}`)).body.name, 'new');
  });

  test('PATCH refuses a lifecycle type change, a duplicate name and bad fields', async () => {
    const { space } = await freshSpace(h);
    const app = await h.app(space.guid);
    await h.app(space.guid, 'taken');
    cfError(
      await h.patch(`/v3/apps/${app.guid}`, { lifecycle: { type: 'docker', data: {} } }),
      422,
      ...UNPROCESSABLE,
      'Lifecycle type cannot be changed',
    );
    cfError(await h.patch(`/v3/apps/${app.guid}`, { name: 'taken' }), 422, ...UNPROCESSABLE, "App with the name 'taken' already exists.");
    cfError(
      await h.patch(`/v3/apps/${app.guid}`, { name: 1, state: 'STARTED' }),
      422,
      ...UNPROCESSABLE,
      "Unknown field(s): 'state', Name must be a string",
    );
    cfError(
      await h.patch(`/v3/apps/${app.guid}`, { lifecycle: { type: 'buildpack', data: { stack: 'nope' } } }),
      422,
      ...UNPROCESSABLE,
      'Stack must be an existing stack',
    );
  });

  test('PATCH: admins and space developers may; other readers are forbidden; non-readers get 404', async () => {
    const m = await matrix();
    const app = await h.app(m.space.guid);
    for (const role of ROLES) {
      const res = await h.patch(`/v3/apps/${app.guid}`, { metadata: { labels: { by: role.replace(/_/g, '-') } } }, m.tokens[role]);
      if (role === 'admin' || role === 'space_developer') assert.equal(res.status, 200, `${role}: ${res.text}`);
      else if (role === 'org_auditor' || role === 'no_role') cfError(res, 404, 'CF-ResourceNotFound', 10010, 'App not found');
      else cfError(res, 403, 'CF-NotAuthorized', 10003);
    }
    assert.deepEqual((await h.get(`/v3/apps/${app.guid}`)).body.metadata.labels, { by: 'space-developer' });
  });

  test('DELETE answers 202 with a job location and removes the app', async () => {
    const { space } = await freshSpace(h);
    const app = await h.app(space.guid);
    const res = await h.delete(`/v3/apps/${app.guid}`);
    assert.equal(res.status, 202);
    assert.match(String(res.headers.location), /^https:\/\/api\.example\.org\/v3\/jobs\/[0-9a-f-]{36}$/);
    assert.equal(res.text, '');
    cfError(await h.get(`/v3/apps/${app.guid}`), 404, 'CF-ResourceNotFound', 10010, 'App not found');
    assert.equal((await h.get(`/v3/apps?guids=${app.guid}`)).body.pagination.total_results, 0);
    // The name is free again.
    assert.equal((await h.post('/v3/apps', body(space.guid, { name: app.name }))).status, 201);
  });

  test('DELETE: admins and space developers may; other readers are forbidden; non-readers get 404', async () => {
    const m = await matrix();
    for (const role of ROLES) {
      const app = await h.app(m.space.guid);
      const res = await h.delete(`/v3/apps/${app.guid}`, m.tokens[role]);
      if (role === 'admin' || role === 'space_developer') assert.equal(res.status, 202, `${role}: ${res.text}`);
      else if (role === 'org_auditor' || role === 'no_role') cfError(res, 404, 'CF-ResourceNotFound', 10010, 'App not found');
      else cfError(res, 403, 'CF-NotAuthorized', 10003);
      const after = await h.get(`/v3/apps/${app.guid}`);
      assert.equal(after.status, res.status === 202 ? 404 : 200, role);
    }
  });
});
