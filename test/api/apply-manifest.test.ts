// POST /v3/spaces/:guid/actions/apply_manifest and the app start/stop actions, as `cf push` uses them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { stagedDroplet, waitForJob } from '../droplets/helpers.js';
import { NO_LONG_RUNNING } from '../../src/actions/apps.js';

function applyManifest(h: Harness, spaceGuid: string, yaml: string, contentType = 'application/x-yaml', token = h.admin.token) {
  return h.request('POST', `/v3/spaces/${spaceGuid}/actions/apply_manifest`, {
    token,
    payload: yaml,
    headers: { 'content-type': contentType },
  });
}

async function appNamed(h: Harness, spaceGuid: string, name: string) {
  return (await h.get(`/v3/apps?names=${name}&space_guids=${spaceGuid}`)).body.resources[0];
}

describeEachStore('apply_manifest', (h) => {
  test('creates the app with its buildpacks, env and web process memory and disk; a second apply updates it', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const yaml = [
      'applications:',
      '- name: worker',
      '  buildpacks: [binary_buildpack]',
      '  memory: 256M',
      '  disk_quota: 1G',
      '  command: ./run.sh',
      '  instances: 3',
      '  env: { GREETING: hello, RETRIES: 3 }',
    ].join('\n');
    const res = await applyManifest(h, space.guid, yaml);
    assert.equal(res.status, 202, res.text);
    const job = await waitForJob(h, String(res.headers.location));
    assert.equal(job.state, 'COMPLETE');
    assert.equal(job.operation, 'space.apply_manifest');

    const app = await appNamed(h, space.guid, 'worker');
    assert.deepEqual(app.lifecycle.data.buildpacks, ['binary_buildpack']);
    const env = await h.get(`/v3/apps/${app.guid}/environment_variables`);
    assert.deepEqual(env.body.var, { GREETING: 'hello', RETRIES: '3' });
    const web = (await h.get(`/v3/apps/${app.guid}/processes/web`)).body;
    assert.deepEqual([web.memory_in_mb, web.disk_in_mb, web.command], [256, 1024, './run.sh']);

    const again = await applyManifest(h, space.guid, 'applications:\n- name: worker\n  memory: 512MB\n  env: { OTHER: x }\n');
    assert.equal(again.status, 202, again.text);
    assert.equal((await h.get(`/v3/apps/${app.guid}/processes/web`)).body.memory_in_mb, 512);
    assert.deepEqual((await h.get(`/v3/apps/${app.guid}/environment_variables`)).body.var, { GREETING: 'hello', RETRIES: '3', OTHER: 'x' });
    assert.equal((await h.get(`/v3/apps?space_guids=${space.guid}`)).body.pagination.total_results, 1, 'the same app, not a second');
  });

  test("refuses what is not a manifest in CC's words, and changes nothing", async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    cfError(
      await applyManifest(h, space.guid, '{}', 'application/json'),
      400,
      'CF-BadRequest',
      1004,
      'Bad request: Content-Type must be yaml',
    );
    cfError(
      await applyManifest(h, space.guid, 'a: [unclosed'),
      400,
      'CF-MessageParseError',
      1001,
      'Request invalid due to parse error: invalid request body',
    );
    cfError(
      await applyManifest(h, space.guid, 'version: 2\napplications: [{name: a}]'),
      422,
      'CF-UnprocessableEntity',
      10008,
      'Unsupported manifest schema version. Currently supported versions: [1].',
    );
    cfError(
      await applyManifest(h, space.guid, 'foo: bar'),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Cannot parse manifest with no 'applications' field.",
    );
    cfError(
      await applyManifest(h, space.guid, 'applications:\n- name: a\n  memory: 12Q\n- memory: 1G\n'),
      422,
      'CF-UnprocessableEntity',
      10008,
      "For application 'a': Memory must use a supported unit: B, K, KB, M, MB, G, GB, T, or TB, For application at index 1: Name must not be empty",
    );
    cfError(
      await applyManifest(h, space.guid, 'applications:\n- name: a\n  docker: { image: busybox }\n'),
      422,
      'CF-UnprocessableEntity',
      10008,
      "For application 'a': taskd runs no Docker images: the docker key cannot be used",
    );
    const huge = await applyManifest(h, space.guid, `applications:\n- name: big\n  env: { BLOB: ${'x'.repeat(70_000)} }\n`);
    assert.equal(huge.status, 422, huge.text);
    assert.match(huge.body.errors[0].detail, /^environment_variables exceeded the maximum length allowed of 65536 characters as json/);
    // A "billion laughs" document is refused, not expanded.
    const laughs = [
      'a: &a [x,x,x,x,x,x,x,x,x,x]',
      ...'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(',')}]`),
      'applications: [{name: z}]',
    ].join('\n');
    cfError(await applyManifest(h, space.guid, laughs), 400, 'CF-MessageParseError', 1001);
    assert.equal((await h.get(`/v3/apps?space_guids=${space.guid}`)).body.pagination.total_results, 0);
  });

  test('manifest_diff: what applying would change, in JSON-diff form, changing nothing', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const diffOf = async (yaml: string) => {
      const res = await h.request('POST', `/v3/spaces/${space.guid}/manifest_diff`, {
        token: h.admin.token,
        payload: yaml,
        headers: { 'content-type': 'application/x-yaml' },
      });
      assert.equal(res.status, 201, res.text);
      return res.body.diff;
    };
    const yaml = 'applications:\n- name: differ\n  buildpacks: [binary_buildpack]\n  memory: 256M\n  env: { A: one, B: two }\n';
    assert.deepEqual(await diffOf(yaml), [
      { op: 'add', path: '/applications/0/name', value: 'differ' },
      { op: 'add', path: '/applications/0/buildpacks', value: ['binary_buildpack'] },
      { op: 'add', path: '/applications/0/env', value: { A: 'one', B: 'two' } },
    ]);
    assert.equal((await h.get(`/v3/apps?space_guids=${space.guid}`)).body.pagination.total_results, 0, 'nothing applied');

    assert.equal((await applyManifest(h, space.guid, yaml)).status, 202);
    assert.deepEqual(await diffOf(yaml), [], 'applied: no difference (memory is never diffed, as in CC)');
    assert.deepEqual(await diffOf('applications:\n- name: differ\n  env: { A: uno, C: "a/b" }\n  command: ./run.sh\n'), [
      { op: 'remove', path: '/applications/0/env/B', was: 'two' },
      { op: 'replace', path: '/applications/0/env/A', was: 'one', value: 'uno' },
      { op: 'add', path: '/applications/0/env/C', value: 'a/b' },
      { op: 'add', path: '/applications/0/command', value: './run.sh' },
    ]);
  });

  test('a space auditor cannot apply a manifest; a stranger does not see the space', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const auditor = await h.user();
    await h.role('space_auditor', auditor.guid, { space: space.guid });
    cfError(
      await applyManifest(h, space.guid, 'applications: [{name: a}]', 'application/x-yaml', auditor.token),
      403,
      'CF-NotAuthorized',
      10003,
    );
    const stranger = await h.user();
    cfError(
      await applyManifest(h, space.guid, 'applications: [{name: a}]', 'application/x-yaml', stranger.token),
      404,
      'CF-ResourceNotFound',
      10010,
      'Space not found',
    );
  });

  test('apps stop; start and restart are refused, saying taskd runs tasks only', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const app = await h.app(space.guid);
    const droplet = await stagedDroplet(h, app.guid);
    assert.equal((await h.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: droplet.guid } })).status, 200);
    for (const action of ['start', 'restart'])
      cfError(await h.post(`/v3/apps/${app.guid}/actions/${action}`, undefined), 422, 'CF-UnprocessableEntity', 10008, NO_LONG_RUNNING);
    const stopped = await h.post(`/v3/apps/${app.guid}/actions/stop`, undefined);
    assert.equal(stopped.status, 200, stopped.text);
    assert.equal(stopped.body.state, 'STOPPED');
    const auditor = await h.user();
    await h.role('space_auditor', auditor.guid, { space: space.guid });
    cfError(await h.post(`/v3/apps/${app.guid}/actions/stop`, undefined, auditor.token), 403, 'CF-NotAuthorized', 10003);
  });
});
