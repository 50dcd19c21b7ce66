import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

const PROCESS_KEYS = [
  'guid',
  'created_at',
  'updated_at',
  'type',
  'command',
  'user',
  'instances',
  'memory_in_mb',
  'disk_in_mb',
  'log_rate_limit_in_bytes_per_second',
  'health_check',
  'readiness_health_check',
  'relationships',
  'metadata',
  'links',
];

async function freshSpace(h: Harness) {
  const org = await h.org();
  return { org, space: await h.space(org.guid) };
}

describeEachStore('processes', (h) => {
  const matrix = sharedRoleMatrix(h);

  test('GET /v3/processes/:guid shows a process in CF shape, with its detected command', async () => {
    const { space } = await freshSpace(h);
    const { app } = await appWithCurrentDroplet(h, space.guid, { web: 'bundle exec rackup' });
    const res = await h.get(`/v3/processes/${app.guid}`);
    assert.equal(res.status, 200);
    const p = res.body;
    assert.deepEqual(Object.keys(p), PROCESS_KEYS);
    assert.match(p.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(p.type, 'web');
    assert.equal(p.command, 'bundle exec rackup');
    assert.equal(p.user, 'vcap');
    assert.equal(p.instances, 1);
    assert.equal(p.memory_in_mb, 1024);
    assert.equal(p.disk_in_mb, 1024);
    assert.equal(p.log_rate_limit_in_bytes_per_second, -1);
    assert.deepEqual(p.health_check, { type: 'port', data: { timeout: null, invocation_timeout: null, interval: null } });
    assert.deepEqual(p.readiness_health_check, { type: 'process', data: { invocation_timeout: null, interval: null } });
    assert.deepEqual(p.relationships, { app: { data: { guid: app.guid } }, revision: null });
    assert.deepEqual(p.metadata, { labels: {}, annotations: {} });
    const self = `https://api.example.org/v3/processes/${p.guid}`;
    assert.deepEqual(p.links, {
      self: { href: self },
      scale: { href: `${self}/actions/scale`, method: 'POST' },
      app: { href: `https://api.example.org/v3/apps/${app.guid}` },
      space: { href: `https://api.example.org/v3/spaces/${space.guid}` },
      stats: { href: `${self}/stats` },
    });
  });

  test("GET /v3/apps/:guid/processes lists the app's processes with commands hidden, filtered by type", async () => {
    const { space } = await freshSpace(h);
    const { app } = await appWithCurrentDroplet(h, space.guid, { web: 'web-cmd', worker: 'worker-cmd' });
    await appWithCurrentDroplet(h, space.guid);
    const res = await h.get(`/v3/apps/${app.guid}/processes`);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.resources.map((p: any) => p.type),
      ['web', 'worker'],
    );
    for (const p of res.body.resources) {
      assert.deepEqual(Object.keys(p), PROCESS_KEYS);
      assert.equal(p.command, '[PRIVATE DATA HIDDEN IN LISTS]', 'lists hide commands even from admins, as CF');
    }
    assert.equal(res.body.pagination.first.href, `https://api.example.org/v3/apps/${app.guid}/processes?page=1&per_page=50`);
    const workers = await h.get(`/v3/apps/${app.guid}/processes?types=worker`);
    assert.deepEqual(
      workers.body.resources.map((p: any) => p.type),
      ['worker'],
    );
    cfError(
      await h.get(`/v3/apps/${app.guid}/processes?space_guids=x`),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Unknown query parameter(s): 'space_guids'",
    );
    const stranger = await h.user();
    cfError(await h.get(`/v3/apps/${app.guid}/processes`, stranger.token), 404, 'CF-ResourceNotFound', 10010, 'App not found');
  });

  test('GET /v3/processes lists readable processes with filters', async () => {
    const a = await freshSpace(h);
    const b = await freshSpace(h);
    const one = await appWithCurrentDroplet(h, a.space.guid, { web: 'x', worker: 'y' });
    const two = await appWithCurrentDroplet(h, b.space.guid);
    const dev = await h.user();
    await h.role('space_developer', dev.guid, { space: a.space.guid });
    const mine = await h.get('/v3/processes', dev.token);
    assert.equal(mine.status, 200);
    assert.deepEqual(
      mine.body.resources.map((p: any) => [p.relationships.app.data.guid, p.type]),
      [
        [one.app.guid, 'web'],
        [one.app.guid, 'worker'],
      ],
    );
    assert.equal(mine.body.resources[0].command, '[PRIVATE DATA HIDDEN IN LISTS]');

    const byApp = await h.get(`/v3/processes?app_guids=${two.app.guid}`);
    assert.deepEqual(
      byApp.body.resources.map((p: any) => p.guid),
      [two.app.guid],
    );
    const bySpace = await h.get(`/v3/processes?space_guids=${a.space.guid}&types=worker`);
    assert.deepEqual(
      bySpace.body.resources.map((p: any) => p.type),
      ['worker'],
    );
    assert.equal(
      bySpace.body.pagination.first.href,
      `https://api.example.org/v3/processes?page=1&per_page=50&space_guids=${a.space.guid}&types=worker`,
    );
    const byOrg = await h.get(`/v3/processes?organization_guids=${b.org.guid}`);
    assert.deepEqual(
      byOrg.body.resources.map((p: any) => p.guid),
      [two.app.guid],
    );
    const byGuid = await h.get(`/v3/processes?guids=${one.app.guid},${two.app.guid}`);
    assert.equal(byGuid.body.pagination.total_results, 2);

    const stranger = await h.user();
    assert.equal((await h.get('/v3/processes', stranger.token)).body.pagination.total_results, 0);
  });

  test('process labels are selectable', async () => {
    const { space } = await freshSpace(h);
    const { app } = await appWithCurrentDroplet(h, space.guid, { web: 'x', worker: 'y' });
    const worker = (await h.get(`/v3/apps/${app.guid}/processes?types=worker`)).body.resources[0];
    await h.db
      .insertInto('metadata')
      .values({
        resource_kind: 'process',
        resource_id: (await h.db.selectFrom('processes').select('id').where('guid', '=', worker.guid).executeTakeFirstOrThrow()).id,
        metadata_kind: 'label',
        key_prefix: '',
        key_name: 'fruit',
        value: 'strawberry',
      })
      .execute();
    const res = await h.get(`/v3/processes?label_selector=fruit%3Dstrawberry&app_guids=${app.guid}`);
    assert.deepEqual(
      res.body.resources.map((p: any) => p.guid),
      [worker.guid],
    );
    assert.deepEqual(res.body.resources[0].metadata.labels, { fruit: 'strawberry' });
  });

  test('embed=process_instances adds each instance, DOWN, before the relationships; other parameters are 400', async () => {
    const { space } = await freshSpace(h);
    const { app } = await appWithCurrentDroplet(h, space.guid, { web: 'serve', worker: 'work' });
    const web = await h.get(`/v3/processes/${app.guid}?embed=process_instances`);
    assert.equal(web.status, 200, web.text);
    assert.deepEqual(Object.keys(web.body), [
      ...PROCESS_KEYS.slice(0, PROCESS_KEYS.indexOf('relationships')),
      'process_instances',
      'relationships',
      'metadata',
      'links',
    ]);
    assert.deepEqual(web.body.process_instances, [{ index: 0, state: 'DOWN', since: null }]);
    const byType = await h.get(`/v3/apps/${app.guid}/processes/worker?embed=process_instances`);
    assert.deepEqual(byType.body.process_instances, [], 'a process of 0 instances has none');
    const listed = await h.get(`/v3/apps/${app.guid}/processes?embed=process_instances`);
    assert.deepEqual(
      listed.body.resources.map((p: any) => [p.type, p.process_instances.length]),
      [
        ['web', 1],
        ['worker', 0],
      ],
    );
    assert.equal((await h.get(`/v3/processes/${app.guid}`)).body.process_instances, undefined, 'only when asked for');

    cfError(
      await h.get(`/v3/processes/${app.guid}?embed=stats`),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Invalid embedded resource: 'stats'. Valid embedded resources are: 'process_instances'",
    );
    cfError(
      await h.get(`/v3/apps/${app.guid}/processes/web?include=app`),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Unknown query parameter(s): 'include'. Valid parameters are: 'embed'",
    );
    cfError(
      await h.get(`/v3/processes?embed=process_instances,process_instances`),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Duplicate embedded resource: 'process_instances'",
    );
  });

  test('an unknown process is 404', async () => {
    cfError(await h.get('/v3/processes/no-such-process'), 404, 'CF-ResourceNotFound', 10010, 'Process not found');
  });

  const showExpectations: Record<RoleName, 'command' | 'hidden' | 404> = {
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
    test(`GET /v3/processes/:guid as ${role}: ${showExpectations[role]}`, async () => {
      const m = await matrix();
      const { app } = await appWithCurrentDroplet(h, m.space.guid, { web: 'secret-cmd' });
      const res = await h.get(`/v3/processes/${app.guid}`, m.tokens[role]);
      const expected = showExpectations[role];
      if (expected === 404) return cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Process not found');
      assert.equal(res.status, 200);
      assert.equal(res.body.command, expected === 'command' ? 'secret-cmd' : '[PRIVATE DATA HIDDEN]');
      const listed = await h.get(`/v3/apps/${app.guid}/processes`, m.tokens[role]);
      assert.equal(listed.body.pagination.total_results, 1);
    });
  }
});
