// GET /v3/apps/:guid/processes/:type: how the cf CLI finds an app's web process (cf app, cf env…).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

describeEachStore('app process by type', (h) => {
  const matrix = sharedRoleMatrix(h);

  async function freshSpace() {
    const org = await h.org();
    return h.space(org.guid);
  }

  test('answers the same body as GET /v3/processes/:guid, for each of the app’s types', async () => {
    const space = await freshSpace();
    const { app } = await appWithCurrentDroplet(h, space.guid, { web: 'web-cmd', worker: 'worker-cmd' });
    for (const type of ['web', 'worker']) {
      const res = await h.get(`/v3/apps/${app.guid}/processes/${type}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.type, type);
      assert.equal(res.body.command, `${type}-cmd`);
      assert.deepEqual(res.body.relationships.app, { data: { guid: app.guid } });
      assert.deepEqual(res.body, (await h.get(`/v3/processes/${res.body.guid}`)).body);
    }
  });

  test('a type the app lacks is 404 "Process not found"; an unknown app is 404 "App not found"', async () => {
    const space = await freshSpace();
    const { app } = await appWithCurrentDroplet(h, space.guid);
    cfError(await h.get(`/v3/apps/${app.guid}/processes/worker`), 404, 'CF-ResourceNotFound', 10010, 'Process not found');
    // Types are matched exactly, as CF stores them.
    cfError(await h.get(`/v3/apps/${app.guid}/processes/WEB`), 404, 'CF-ResourceNotFound', 10010, 'Process not found');
    const bare = await h.app(space.guid);
    cfError(await h.get(`/v3/apps/${bare.guid}/processes/web`), 404, 'CF-ResourceNotFound', 10010, 'Process not found');
    cfError(await h.get('/v3/apps/no-such-app/processes/web'), 404, 'CF-ResourceNotFound', 10010, 'App not found');
  });

  // As GET /v3/processes/:guid (processes.test.ts), but a caller who may not read the app is told
  // the app is not found, as CF answers under /v3/apps/:guid.
  const expectations: Record<RoleName, 'command' | 'hidden' | 404> = {
    admin: 'command',
    admin_read_only: 'command',
    global_auditor: 'hidden',
    org_manager: 'hidden',
    org_auditor: 404,
    space_developer: 'command',
    space_manager: 'hidden',
    space_auditor: 'hidden',
    space_supporter: 'hidden',
    no_role: 404,
  };
  for (const role of ROLES) {
    test(`as ${role}: ${expectations[role]}`, async () => {
      const m = await matrix();
      const { app } = await appWithCurrentDroplet(h, m.space.guid, { web: 'secret-cmd' });
      const res = await h.get(`/v3/apps/${app.guid}/processes/web`, m.tokens[role]);
      const expected = expectations[role];
      if (expected === 404) {
        cfError(res, 404, 'CF-ResourceNotFound', 10010, 'App not found');
        // Not even whether the type exists is told.
        cfError(await h.get(`/v3/apps/${app.guid}/processes/worker`, m.tokens[role]), 404, 'CF-ResourceNotFound', 10010, 'App not found');
        return;
      }
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.command, expected === 'command' ? 'secret-cmd' : '[PRIVATE DATA HIDDEN]');
    });
  }
});
