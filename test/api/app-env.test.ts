// GET /v3/apps/:guid/env: what `cf env` prints. Cloud Controller's AppEnvPresenter shape, with
// what taskd has: no variable groups, no service bindings, no routes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';

const VCAP_APPLICATION_KEYS = [
  'cf_api',
  'limits',
  'application_name',
  'application_uris',
  'name',
  'space_name',
  'space_id',
  'organization_id',
  'organization_name',
  'uris',
  'users',
  'application_id',
];

describeEachStore('app env', (h) => {
  const matrix = sharedRoleMatrix(h);

  test("the app's variables, empty groups, no services and VCAP_APPLICATION, in CF's shape and order", async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const app = await h.app(space.guid, 'my-app', { environment_variables: { unicorn: 'horn', EMPTY: '' } });
    const res = await h.get(`/v3/apps/${app.guid}/env`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, {
      environment_variables: { unicorn: 'horn', EMPTY: '' },
      staging_env_json: {},
      running_env_json: {},
      system_env_json: { VCAP_SERVICES: {} },
      application_env_json: {
        VCAP_APPLICATION: {
          cf_api: 'https://api.example.org',
          limits: { fds: 16384 },
          application_name: 'my-app',
          application_uris: [],
          name: 'my-app',
          space_name: space.name,
          space_id: space.guid,
          organization_id: org.guid,
          organization_name: org.name,
          uris: [],
          users: null,
          application_id: app.guid,
        },
      },
    });
    assert.deepEqual(Object.keys(res.body), [
      'environment_variables',
      'staging_env_json',
      'running_env_json',
      'system_env_json',
      'application_env_json',
    ]);
    assert.deepEqual(Object.keys(res.body.application_env_json.VCAP_APPLICATION), VCAP_APPLICATION_KEYS);
  });

  test('follows changes to the variables and to the names of the app, space and organization', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const app = await h.app(space.guid);
    assert.deepEqual((await h.get(`/v3/apps/${app.guid}/env`)).body.environment_variables, {});
    assert.equal((await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { A: '1' } })).status, 200);
    assert.equal((await h.patch(`/v3/apps/${app.guid}`, { name: 'renamed-app' })).status, 200);
    assert.equal((await h.patch(`/v3/spaces/${space.guid}`, { name: 'renamed-space' })).status, 200);
    assert.equal((await h.patch(`/v3/organizations/${org.guid}`, { name: h.unique('renamed-org') })).status, 200);
    const renamedOrg = (await h.get(`/v3/organizations/${org.guid}`)).body.name;
    const res = await h.get(`/v3/apps/${app.guid}/env`);
    assert.deepEqual(res.body.environment_variables, { A: '1' });
    const vcap = res.body.application_env_json.VCAP_APPLICATION;
    assert.deepEqual(
      [vcap.application_name, vcap.name, vcap.space_name, vcap.organization_name],
      ['renamed-app', 'renamed-app', 'renamed-space', renamedOrg],
    );
  });

  test('an unknown app is 404 "App not found"', async () => {
    cfError(await h.get('/v3/apps/no-such-app/env'), 404, 'CF-ResourceNotFound', 10010, 'App not found');
  });

  // CF's request spec for this route: secrets' readers see everything, space supporters all but
  // the system variables, other readers are forbidden, non-readers are told the app is not found.
  const expectations: Record<RoleName, 'all' | 'system hidden' | 403 | 404> = {
    admin: 'all',
    admin_read_only: 'all',
    global_auditor: 403,
    org_manager: 403,
    org_auditor: 404,
    space_developer: 'all',
    space_manager: 403,
    space_auditor: 403,
    space_supporter: 'system hidden',
    no_role: 404,
  };
  test('who may read it, and what', async () => {
    const m = await matrix();
    const app = await h.app(m.space.guid, undefined, { environment_variables: { SECRET: 's3cr3t' } });
    for (const role of ROLES) {
      const res = await h.get(`/v3/apps/${app.guid}/env`, m.tokens[role]);
      const expected = expectations[role];
      if (expected === 403) cfError(res, 403, 'CF-NotAuthorized', 10003, 'You are not authorized to perform the requested action');
      else if (expected === 404) cfError(res, 404, 'CF-ResourceNotFound', 10010, 'App not found');
      else {
        assert.equal(res.status, 200, `${role}: ${res.text}`);
        assert.deepEqual(res.body.environment_variables, { SECRET: 's3cr3t' }, role);
        assert.deepEqual(
          res.body.system_env_json,
          expected === 'all' ? { VCAP_SERVICES: {} } : { redacted_message: '[PRIVATE DATA HIDDEN]' },
          role,
        );
        assert.equal(res.body.application_env_json.VCAP_APPLICATION.application_id, app.guid, role);
      }
    }
  });
});
