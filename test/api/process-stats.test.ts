// GET /v3/processes/:guid/stats and GET /v3/apps/:guid/processes/:type/stats: what `cf app`
// shows as an app's instances. taskd's apps never run instances, so every asked-for instance is
// DOWN, as Cloud Controller reports the instances of a stopped app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { ROLES, sharedRoleMatrix } from '../support/role-matrix.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

const DOWN_WEB_0 = { type: 'web', index: 0, state: 'DOWN', routable: null, uptime: 0, isolation_segment: null, details: null };

describeEachStore('process stats', (h) => {
  const matrix = sharedRoleMatrix(h);

  async function freshApp(processTypes?: Record<string, string>) {
    const org = await h.org();
    const space = await h.space(org.guid);
    return (await appWithCurrentDroplet(h, space.guid, processTypes)).app;
  }

  test('a web process of one instance has that instance DOWN; a worker of none has no entries', async () => {
    const app = await freshApp({ web: 'serve', worker: 'work' });
    const web = await h.get(`/v3/processes/${app.guid}/stats`);
    assert.equal(web.status, 200, web.text);
    assert.deepEqual(web.body, { resources: [DOWN_WEB_0] });
    assert.deepEqual(Object.keys(web.body.resources[0]), Object.keys(DOWN_WEB_0), "CF's key order");
    assert.deepEqual((await h.get(`/v3/apps/${app.guid}/processes/web/stats`)).body, { resources: [DOWN_WEB_0] });

    const workerGuid = (await h.get(`/v3/apps/${app.guid}/processes/worker`)).body.guid;
    assert.deepEqual((await h.get(`/v3/processes/${workerGuid}/stats`)).body, { resources: [] });
    assert.deepEqual((await h.get(`/v3/apps/${app.guid}/processes/worker/stats`)).body, { resources: [] });
  });

  test('one DOWN entry per instance the process asks for, in index order', async () => {
    const app = await freshApp();
    await h.db.updateTable('processes').set({ instances: 3 }).where('guid', '=', app.guid).execute();
    const res = await h.get(`/v3/processes/${app.guid}/stats`);
    assert.deepEqual(
      res.body.resources.map((r: any) => [r.index, r.state]),
      [
        [0, 'DOWN'],
        [1, 'DOWN'],
        [2, 'DOWN'],
      ],
    );
  });

  test('unknown processes, apps and types are 404 in CF words', async () => {
    const app = await freshApp();
    cfError(await h.get('/v3/processes/no-such-process/stats'), 404, 'CF-ResourceNotFound', 10010, 'Process not found');
    cfError(await h.get(`/v3/apps/${app.guid}/processes/worker/stats`), 404, 'CF-ResourceNotFound', 10010, 'Process not found');
    cfError(await h.get('/v3/apps/no-such-app/processes/web/stats'), 404, 'CF-ResourceNotFound', 10010, 'App not found');
  });

  test('every reader of the space sees the stats; others are told it is not found', async () => {
    const m = await matrix();
    const { app } = await appWithCurrentDroplet(h, m.space.guid);
    for (const role of ROLES) {
      const byGuid = await h.get(`/v3/processes/${app.guid}/stats`, m.tokens[role]);
      const byType = await h.get(`/v3/apps/${app.guid}/processes/web/stats`, m.tokens[role]);
      if (role === 'org_auditor' || role === 'no_role') {
        cfError(byGuid, 404, 'CF-ResourceNotFound', 10010, 'Process not found');
        cfError(byType, 404, 'CF-ResourceNotFound', 10010, 'App not found');
      } else {
        assert.deepEqual(byGuid.body, { resources: [DOWN_WEB_0] }, role);
        assert.deepEqual(byType.body, { resources: [DOWN_WEB_0] }, role);
      }
    }
  });
});
