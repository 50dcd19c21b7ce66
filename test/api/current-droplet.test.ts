import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { createDroplet, stagedDroplet } from '../droplets/helpers.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;
const UNABLE = 'Unable to assign current droplet. Ensure the droplet exists and belongs to this app.';

async function freshApp(h: Harness) {
  const org = await h.org();
  const space = await h.space(org.guid);
  return { org, space, app: await h.app(space.guid) };
}

const assign = (h: Harness, appGuid: string, dropletGuid: string, token = h.admin.token) =>
  h.patch(`/v3/apps/${appGuid}/relationships/current_droplet`, { data: { guid: dropletGuid } }, token);

const processesOf = async (h: Harness, appGuid: string) => (await h.get(`/v3/apps/${appGuid}/processes`)).body.resources;

describeEachStore('current droplet', (h) => {
  const matrix = sharedRoleMatrix(h);

  test('PATCH assigns a staged droplet and answers with the relationship', async () => {
    const { app } = await freshApp(h);
    const droplet = await stagedDroplet(h, app.guid);
    const res = await assign(h, app.guid, droplet.guid);
    assert.equal(res.status, 200);
    const appUrl = `https://api.example.org/v3/apps/${app.guid}`;
    const expected = {
      data: { guid: droplet.guid },
      links: { self: { href: `${appUrl}/relationships/current_droplet` }, related: { href: `${appUrl}/droplets/current` } },
    };
    assert.deepEqual(res.body, expected);
    assert.deepEqual((await h.get(`/v3/apps/${app.guid}/relationships/current_droplet`)).body, expected);
    const current = await h.get(`/v3/apps/${app.guid}/droplets/current`);
    assert.equal(current.status, 200);
    assert.equal(current.body.guid, droplet.guid);
    assert.deepEqual(current.body.process_types, { web: '' }, "admins see the current droplet's secrets");
    assert.deepEqual((await h.get(`/v3/apps/${app.guid}`)).body.relationships.current_droplet, { data: { guid: droplet.guid } });
  });

  test('assignment creates one process per process type, with CF defaults, once', async () => {
    const { app } = await freshApp(h);
    const first = await stagedDroplet(h, app.guid, { web: 'bundle exec rackup', worker: 'bin/work' });
    assert.equal((await assign(h, app.guid, first.guid)).status, 200);
    const processes = await processesOf(h, app.guid);
    assert.deepEqual(
      processes.map((p: any) => p.type),
      ['web', 'worker'],
    );
    const [web, worker] = processes;
    assert.equal(web.guid, app.guid, "the web process has the app's guid, as in CF");
    assert.equal(web.instances, 1);
    assert.equal(worker.instances, 0);
    for (const p of processes) {
      assert.equal(p.memory_in_mb, 1024);
      assert.equal(p.disk_in_mb, 1024);
      assert.equal(p.log_rate_limit_in_bytes_per_second, -1);
    }
    assert.equal(web.health_check.type, 'port');
    assert.equal(worker.health_check.type, 'process');

    const second = await stagedDroplet(h, app.guid, { web: 'new web', clock: 'bin/clock' });
    assert.equal((await assign(h, app.guid, second.guid)).status, 200);
    const after = await processesOf(h, app.guid);
    assert.deepEqual(
      after.map((p: any) => p.type),
      ['web', 'worker', 'clock'],
      'only missing types are added; none are removed',
    );
    assert.deepEqual(
      after.slice(0, 2).map((p: any) => p.guid),
      [web.guid, worker.guid],
    );
    assert.equal((await h.get(`/v3/processes/${web.guid}`)).body.command, 'new web', 'the command follows the current droplet');
    assert.equal((await assign(h, app.guid, first.guid)).status, 200, 'an earlier droplet may be assigned again');
    assert.equal((await processesOf(h, app.guid)).length, 3);
  });

  test('a droplet of another app, or none at all, cannot be assigned', async () => {
    const { space, app } = await freshApp(h);
    const other = await h.app(space.guid);
    const foreign = await stagedDroplet(h, other.guid);
    cfError(await assign(h, app.guid, foreign.guid), 422, ...UNPROCESSABLE, UNABLE);
    cfError(await assign(h, app.guid, 'no-such-droplet'), 422, ...UNPROCESSABLE, UNABLE);
    cfError(await h.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, {}), 422, ...UNPROCESSABLE, UNABLE);
    cfError(await h.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: 42 } }), 422, ...UNPROCESSABLE, UNABLE);
    assert.deepEqual(await processesOf(h, app.guid), []);
  });

  test('only a STAGED droplet can be assigned, and a refused one creates no processes', async () => {
    const { app } = await freshApp(h);
    const awaiting = await createDroplet(h, app.guid, { web: 'x' });
    cfError(await assign(h, app.guid, awaiting.guid), 422, ...UNPROCESSABLE, 'droplet must be in staged state');
    assert.deepEqual(await processesOf(h, app.guid), []);
    assert.equal((await h.get(`/v3/apps/${app.guid}`)).body.relationships.current_droplet.data, null);
  });

  test('the current droplet cannot be removed, even for an app that cannot be found', async () => {
    const remove = 'Current droplet cannot be removed. Replace it with a preferred droplet.';
    const { app } = await freshApp(h);
    cfError(await h.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: null }), 422, ...UNPROCESSABLE, remove);
    cfError(await h.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: {} }), 422, ...UNPROCESSABLE, remove);
    cfError(await h.patch('/v3/apps/no-such-app/relationships/current_droplet', { data: null }), 422, ...UNPROCESSABLE, remove);
    cfError(await assign(h, 'no-such-app', 'x'), 404, 'CF-ResourceNotFound', 10010, 'App not found');
  });

  test('an app without a current droplet has none to show', async () => {
    const { app } = await freshApp(h);
    cfError(await h.get(`/v3/apps/${app.guid}/relationships/current_droplet`), 404, 'CF-ResourceNotFound', 10010, 'Droplet not found');
    cfError(await h.get(`/v3/apps/${app.guid}/droplets/current`), 404, 'CF-ResourceNotFound', 10010, 'Droplet not found');
    cfError(await h.get('/v3/apps/no-such-app/droplets/current'), 404, 'CF-ResourceNotFound', 10010, 'App not found');
  });

  const assignExpectations: Record<RoleName, number> = {
    admin: 200,
    admin_read_only: 403,
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
    test(`PATCH as ${role} answers ${assignExpectations[role]}`, async () => {
      const m = await matrix();
      const app = await h.app(m.space.guid);
      const droplet = await stagedDroplet(h, app.guid);
      const res = await assign(h, app.guid, droplet.guid, m.tokens[role]);
      assert.equal(res.status, assignExpectations[role], res.text);
      if (res.status === 404) cfError(res, 404, 'CF-ResourceNotFound', 10010, 'App not found');
      if (res.status === 403) cfError(res, 403, 'CF-NotAuthorized', 10003);
      const current = (await h.get(`/v3/apps/${app.guid}`)).body.relationships.current_droplet.data;
      assert.deepEqual(current, res.status === 200 ? { guid: droplet.guid } : null);
    });
  }

  test('readers see the current droplet, with secrets only if they may read them', async () => {
    const m = await matrix();
    const app = await h.app(m.space.guid);
    const droplet = await stagedDroplet(h, app.guid, { web: 'secret' });
    assert.equal((await assign(h, app.guid, droplet.guid)).status, 200);
    const dev = await h.get(`/v3/apps/${app.guid}/droplets/current`, m.tokens.space_developer);
    assert.deepEqual(dev.body.process_types, { web: 'secret' });
    const auditor = await h.get(`/v3/apps/${app.guid}/droplets/current`, m.tokens.space_auditor);
    assert.deepEqual(auditor.body.process_types, { redacted_message: '[PRIVATE DATA HIDDEN]' });
    assert.equal((await h.get(`/v3/apps/${app.guid}/relationships/current_droplet`, m.tokens.space_auditor)).body.data.guid, droplet.guid);
    cfError(
      await h.get(`/v3/apps/${app.guid}/relationships/current_droplet`, m.tokens.no_role),
      404,
      'CF-ResourceNotFound',
      10010,
      'App not found',
    );
  });

  test('supporters cannot assign in a suspended organization', async () => {
    const { org, space, app } = await freshApp(h);
    const supporter = await h.user();
    await h.role('space_supporter', supporter.guid, { space: space.guid });
    const droplet = await stagedDroplet(h, app.guid);
    assert.equal((await h.patch(`/v3/organizations/${org.guid}`, { suspended: true })).status, 200);
    cfError(await assign(h, app.guid, droplet.guid, supporter.token), 403, 'CF-OrgSuspended', 10017);
  });
});
