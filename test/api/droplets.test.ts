import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { createDroplet, stagedDroplet, uploadBits, waitForJob } from '../droplets/helpers.js';
import { goodBundle } from '../droplets/tarballs.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;
const DROPLET_KEYS = [
  'guid',
  'created_at',
  'updated_at',
  'state',
  'error',
  'lifecycle',
  'checksum',
  'buildpacks',
  'stack',
  'image',
  'execution_metadata',
  'process_types',
  'relationships',
  'metadata',
  'links',
];

async function freshApp(h: Harness, extra: Record<string, unknown> = {}) {
  const org = await h.org();
  const space = await h.space(org.guid);
  return { org, space, app: await h.app(space.guid, h.unique('app'), extra) };
}

const createBody = (appGuid: string, extra: Record<string, unknown> = {}) => ({
  relationships: { app: { data: { guid: appGuid } } },
  ...extra,
});

describeEachStore('droplets', (h) => {
  const matrix = sharedRoleMatrix(h);

  test('POST creates an AWAITING_UPLOAD droplet in CF shape, field order and links', async () => {
    const { app } = await freshApp(h);
    const res = await h.post('/v3/droplets', createBody(app.guid));
    assert.equal(res.status, 201);
    const d = res.body;
    assert.deepEqual(Object.keys(d), DROPLET_KEYS);
    assert.match(d.guid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(d.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(d.state, 'AWAITING_UPLOAD');
    assert.equal(d.error, null);
    assert.deepEqual(d.lifecycle, { type: 'buildpack', data: {} });
    assert.equal(d.checksum, null);
    assert.deepEqual(d.buildpacks, []);
    assert.equal(d.stack, null);
    assert.equal(d.image, null);
    assert.equal(d.execution_metadata, '');
    assert.deepEqual(d.process_types, { web: '' });
    assert.deepEqual(d.relationships, { app: { data: { guid: app.guid } } });
    assert.deepEqual(d.metadata, { labels: {}, annotations: {} });
    const appUrl = `https://api.example.org/v3/apps/${app.guid}`;
    assert.deepEqual(d.links, {
      self: { href: `https://api.example.org/v3/droplets/${d.guid}` },
      app: { href: appUrl },
      assign_current_droplet: { href: `${appUrl}/relationships/current_droplet`, method: 'PATCH' },
      upload: { href: `https://api.example.org/v3/droplets/${d.guid}/upload`, method: 'POST' },
    });
    assert.deepEqual((await h.get(`/v3/droplets/${d.guid}`)).body, d);
  });

  test('POST keeps the given process types', async () => {
    const { app } = await freshApp(h);
    const res = await h.post('/v3/droplets', createBody(app.guid, { process_types: { web: 'bundle exec rackup', worker: 'bin/work' } }));
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.process_types, { web: 'bundle exec rackup', worker: 'bin/work' });
  });

  test('POST validates the body with CF messages', async () => {
    const { app } = await freshApp(h);
    cfError(
      await h.post('/v3/droplets', createBody(app.guid, { process_types: 867 })),
      422,
      ...UNPROCESSABLE,
      'Process types must be an object',
    );
    cfError(
      await h.post('/v3/droplets', createBody(app.guid, { process_types: { '': 'x' } })),
      422,
      ...UNPROCESSABLE,
      'Process types key must not be empty',
    );
    cfError(
      await h.post('/v3/droplets', createBody(app.guid, { process_types: { web: 5 } })),
      422,
      ...UNPROCESSABLE,
      'Process types value must be a string',
    );
    cfError(
      await h.post('/v3/droplets', createBody(app.guid, { process_types: { '': 1 } })),
      422,
      ...UNPROCESSABLE,
      'Process types key must not be empty, Process types value must be a string',
    );
    cfError(
      await h.post('/v3/droplets', createBody(app.guid, { foo: 1, metadata: {} })),
      422,
      ...UNPROCESSABLE,
      "Unknown field(s): 'foo', 'metadata'",
    );
    cfError(await h.post('/v3/droplets', {}), 422, ...UNPROCESSABLE, "Relationships 'relationships' is not an object");
    cfError(
      await h.post('/v3/droplets', { relationships: { app: { guid: app.guid } } }),
      422,
      ...UNPROCESSABLE,
      'Relationships App must be structured like this: "app: {"data": {"guid": "valid-guid"}}"',
    );
  });

  test('POST for an unknown app, or one the caller cannot see, is 422', async () => {
    cfError(
      await h.post('/v3/droplets', createBody('not-app-guid')),
      422,
      ...UNPROCESSABLE,
      'App with guid "not-app-guid" does not exist, or you do not have access to it.',
    );
    const { app } = await freshApp(h);
    const stranger = await h.user();
    cfError(
      await h.post('/v3/droplets', createBody(app.guid), stranger.token),
      422,
      ...UNPROCESSABLE,
      `App with guid "${app.guid}" does not exist, or you do not have access to it.`,
    );
  });

  test('POST for a docker app is refused', async () => {
    const { app } = await freshApp(h, { lifecycle: { type: 'docker', data: {} } });
    cfError(
      await h.post('/v3/droplets', createBody(app.guid)),
      422,
      ...UNPROCESSABLE,
      'Droplet creation is not available for apps with docker lifecycles.',
    );
  });

  test('POST in a suspended organization is refused to developers', async () => {
    const { org, space, app } = await freshApp(h);
    const dev = await h.user();
    await h.role('space_developer', dev.guid, { space: space.guid });
    assert.equal((await h.patch(`/v3/organizations/${org.guid}`, { suspended: true })).status, 200);
    cfError(await h.post('/v3/droplets', createBody(app.guid), dev.token), 403, 'CF-OrgSuspended', 10017, 'The organization is suspended');
    assert.equal((await h.post('/v3/droplets', createBody(app.guid))).status, 201, 'admins are not affected');
  });

  const createExpectations: Record<RoleName, number> = {
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
    test(`POST as ${role} answers ${createExpectations[role]}`, async () => {
      const m = await matrix();
      const app = await h.app(m.space.guid);
      const res = await h.post('/v3/droplets', createBody(app.guid), m.tokens[role]);
      assert.equal(res.status, createExpectations[role], res.text);
      if (res.status === 403) cfError(res, 403, 'CF-NotAuthorized', 10003, 'You are not authorized to perform the requested action');
    });
  }

  const readExpectations: Record<RoleName, 'secrets' | 'redacted' | 404> = {
    admin: 'secrets',
    admin_read_only: 'secrets',
    global_auditor: 'redacted',
    org_manager: 'redacted',
    org_auditor: 404,
    space_developer: 'secrets',
    space_manager: 'redacted',
    space_auditor: 'redacted',
    space_supporter: 'redacted',
    no_role: 404,
  };
  for (const role of ROLES) {
    test(`GET /v3/droplets/:guid as ${role}: ${readExpectations[role]}`, async () => {
      const m = await matrix();
      const app = await h.app(m.space.guid);
      const droplet = await createDroplet(h, app.guid, { web: 'secret-start' });
      const res = await h.get(`/v3/droplets/${droplet.guid}`, m.tokens[role]);
      const expected = readExpectations[role];
      if (expected === 404) return cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Droplet not found');
      assert.equal(res.status, 200);
      if (expected === 'secrets') {
        assert.deepEqual(res.body.process_types, { web: 'secret-start' });
        assert.equal(res.body.execution_metadata, '');
      } else {
        assert.deepEqual(res.body.process_types, { redacted_message: '[PRIVATE DATA HIDDEN]' });
        assert.equal(res.body.execution_metadata, '[PRIVATE DATA HIDDEN]');
      }
    });
  }

  test('GET of an unknown droplet is 404', async () => {
    cfError(await h.get('/v3/droplets/no-such-droplet'), 404, 'CF-ResourceNotFound', 10010, 'Droplet not found');
  });

  test('GET /v3/droplets lists what the caller may read, secrets hidden, with filters', async () => {
    const a = await freshApp(h);
    const b = await freshApp(h);
    const d1 = await createDroplet(h, a.app.guid);
    const d2 = await stagedDroplet(h, a.app.guid);
    const d3 = await createDroplet(h, b.app.guid);
    const dev = await h.user();
    await h.role('space_developer', dev.guid, { space: a.space.guid });

    const mine = await h.get('/v3/droplets', dev.token);
    assert.equal(mine.status, 200);
    assert.deepEqual(
      mine.body.resources.map((d: any) => d.guid),
      [d1.guid, d2.guid],
    );
    for (const d of mine.body.resources) {
      assert.deepEqual(Object.keys(d), DROPLET_KEYS);
      assert.equal(d.execution_metadata, '[PRIVATE DATA HIDDEN IN LISTS]');
      assert.deepEqual(d.process_types, { redacted_message: '[PRIVATE DATA HIDDEN IN LISTS]' });
    }
    const admin = await h.get(`/v3/droplets?app_guids=${a.app.guid},${b.app.guid}`);
    assert.deepEqual(
      admin.body.resources.map((d: any) => d.guid),
      [d1.guid, d2.guid, d3.guid],
    );
    assert.equal(
      admin.body.resources[0].process_types.redacted_message,
      '[PRIVATE DATA HIDDEN IN LISTS]',
      'lists hide secrets even from admins',
    );

    const byState = await h.get(`/v3/droplets?states=STAGED&space_guids=${a.space.guid}`);
    assert.deepEqual(
      byState.body.resources.map((d: any) => d.guid),
      [d2.guid],
    );
    assert.equal(
      byState.body.pagination.first.href,
      `https://api.example.org/v3/droplets?page=1&per_page=50&space_guids=${a.space.guid}&states=STAGED`,
    );
    const byOrg = await h.get(`/v3/droplets?organization_guids=${b.org.guid}`);
    assert.deepEqual(
      byOrg.body.resources.map((d: any) => d.guid),
      [d3.guid],
    );
    const byGuid = await h.get(`/v3/droplets?guids=${d3.guid},${d1.guid}`);
    assert.deepEqual(
      byGuid.body.resources.map((d: any) => d.guid),
      [d1.guid, d3.guid],
    );

    const stranger = await h.user();
    const none = await h.get('/v3/droplets', stranger.token);
    assert.equal(none.body.pagination.total_results, 0);
  });

  test('GET /v3/droplets filters by label selector after PATCH sets labels', async () => {
    const { app } = await freshApp(h);
    const d1 = await createDroplet(h, app.guid);
    await createDroplet(h, app.guid);
    const res = await h.patch(`/v3/droplets/${d1.guid}`, { metadata: { labels: { release: 'blue' }, annotations: { note: 'first' } } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.metadata, { labels: { release: 'blue' }, annotations: { note: 'first' } });
    assert.deepEqual(res.body.process_types, { web: '' }, 'a write response shows secrets');
    const found = await h.get(`/v3/droplets?label_selector=release%3Dblue&app_guids=${app.guid}`);
    assert.deepEqual(
      found.body.resources.map((d: any) => d.guid),
      [d1.guid],
    );
    const merged = await h.patch(`/v3/droplets/${d1.guid}`, { metadata: { labels: { release: null, tier: 'web' } } });
    assert.deepEqual(merged.body.metadata, { labels: { tier: 'web' }, annotations: { note: 'first' } });
  });

  test('list query errors are 400 with CF messages', async () => {
    const { app } = await freshApp(h);
    cfError(
      await h.get('/v3/droplets?current=true'),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Unknown query parameter(s): 'current'",
    );
    cfError(
      await h.get(`/v3/apps/${app.guid}/droplets?space_guids=x&app_guids=y`),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Unknown query parameter(s): 'app_guids', 'space_guids'",
    );
    cfError(
      await h.get(`/v3/apps/${app.guid}/droplets?current=false`),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Current only accepts the value 'true'",
    );
    const unknown = await h.get('/v3/droplets?foo=1');
    cfError(unknown, 400, 'CF-BadQueryParameter', 10005);
    assert.match(
      unknown.body.errors[0].detail,
      /^The query parameter is invalid: Unknown query parameter\(s\): 'foo'\. Valid parameters are: 'page', 'per_page'/,
    );
  });

  test("GET /v3/apps/:guid/droplets lists the app's droplets; current=true only the current one", async () => {
    const { space, app } = await freshApp(h);
    const other = await h.app(space.guid);
    const d1 = await stagedDroplet(h, app.guid);
    const d2 = await createDroplet(h, app.guid);
    await createDroplet(h, other.guid);
    const all = await h.get(`/v3/apps/${app.guid}/droplets`);
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.resources.map((d: any) => d.guid),
      [d1.guid, d2.guid],
    );
    assert.equal(all.body.pagination.first.href, `https://api.example.org/v3/apps/${app.guid}/droplets?page=1&per_page=50`);
    const awaiting = await h.get(`/v3/apps/${app.guid}/droplets?states=AWAITING_UPLOAD`);
    assert.deepEqual(
      awaiting.body.resources.map((d: any) => d.guid),
      [d2.guid],
    );
    assert.equal((await h.get(`/v3/apps/${app.guid}/droplets?current=true`)).body.pagination.total_results, 0);
    assert.equal((await h.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: d1.guid } })).status, 200);
    const current = await h.get(`/v3/apps/${app.guid}/droplets?current=true`);
    assert.deepEqual(
      current.body.resources.map((d: any) => d.guid),
      [d1.guid],
    );
    const stranger = await h.user();
    cfError(await h.get(`/v3/apps/${app.guid}/droplets`, stranger.token), 404, 'CF-ResourceNotFound', 10010, 'App not found');
  });

  test('PATCH accepts only metadata and checks permission before the body', async () => {
    const m = await matrix();
    const app = await h.app(m.space.guid);
    const droplet = await createDroplet(h, app.guid);
    cfError(
      await h.patch(`/v3/droplets/${droplet.guid}`, { process_types: { web: 'x' } }),
      422,
      ...UNPROCESSABLE,
      "Unknown field(s): 'process_types'",
    );
    cfError(
      await h.patch(`/v3/droplets/${droplet.guid}`, { metadata: { labels: { 'bad key!': 'x' } } }),
      422,
      ...UNPROCESSABLE,
      "Metadata label key error: 'bad key!' contains invalid characters",
    );
    cfError(await h.patch(`/v3/droplets/${droplet.guid}`, { foo: 1 }, m.tokens.space_auditor), 403, 'CF-NotAuthorized', 10003);
    cfError(await h.patch(`/v3/droplets/${droplet.guid}`, { foo: 1 }, m.tokens.space_supporter), 403, 'CF-NotAuthorized', 10003);
    cfError(await h.patch(`/v3/droplets/${droplet.guid}`, {}, m.tokens.no_role), 404, 'CF-ResourceNotFound', 10010, 'Droplet not found');
    const ok = await h.patch(`/v3/droplets/${droplet.guid}`, { metadata: { labels: { by: 'dev' } } }, m.tokens.space_developer);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.metadata.labels, { by: 'dev' });
  });

  test('DELETE answers 202 with a completed job, removes the bits and unsets the current droplet', async () => {
    const { app } = await freshApp(h);
    const droplet = await stagedDroplet(h, app.guid);
    const dir = path.join(h.config.dataDir, 'droplets', droplet.guid);
    assert.ok(existsSync(path.join(dir, 'app/run.sh')), 'a staged droplet has its bits on disk');
    assert.equal((await h.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: droplet.guid } })).status, 200);

    const res = await h.delete(`/v3/droplets/${droplet.guid}`);
    assert.equal(res.status, 202);
    assert.equal(res.text, '');
    const job = await waitForJob(h, String(res.headers.location));
    assert.equal(job.operation, 'droplet.delete');
    assert.equal(job.state, 'COMPLETE');
    cfError(await h.get(`/v3/droplets/${droplet.guid}`), 404, 'CF-ResourceNotFound', 10010, 'Droplet not found');
    assert.equal(existsSync(dir), false);
    assert.equal((await h.get(`/v3/apps/${app.guid}`)).body.relationships.current_droplet.data, null);
    cfError(await h.get(`/v3/apps/${app.guid}/droplets/current`), 404, 'CF-ResourceNotFound', 10010, 'Droplet not found');
  });

  const deleteExpectations: Record<RoleName, number> = {
    admin: 202,
    admin_read_only: 403,
    global_auditor: 403,
    org_manager: 403,
    org_auditor: 404,
    space_developer: 202,
    space_manager: 403,
    space_auditor: 403,
    space_supporter: 403,
    no_role: 404,
  };
  for (const role of ROLES) {
    test(`DELETE as ${role} answers ${deleteExpectations[role]}`, async () => {
      const m = await matrix();
      const app = await h.app(m.space.guid);
      const droplet = await createDroplet(h, app.guid);
      const res = await h.delete(`/v3/droplets/${droplet.guid}`, m.tokens[role]);
      assert.equal(res.status, deleteExpectations[role], res.text);
      const after = await h.get(`/v3/droplets/${droplet.guid}`);
      assert.equal(after.status, res.status === 202 ? 404 : 200, 'only an accepted delete removes the droplet');
    });
  }

  test("deleting the app, its space or its organization removes its droplets' bits", async () => {
    const one = await freshApp(h);
    const two = await freshApp(h);
    const three = await freshApp(h);
    const dirs = [];
    for (const { app } of [one, two, three]) {
      const droplet = await stagedDroplet(h, app.guid);
      const dir = path.join(h.config.dataDir, 'droplets', droplet.guid);
      assert.ok(existsSync(dir));
      dirs.push(dir);
    }
    assert.equal((await h.delete(`/v3/apps/${one.app.guid}`)).status, 202);
    assert.equal((await h.delete(`/v3/spaces/${two.space.guid}`)).status, 202);
    assert.equal((await h.delete(`/v3/organizations/${three.org.guid}`)).status, 202);
    assert.deepEqual(
      dirs.map((d) => existsSync(d)),
      [false, false, false],
    );
  });
});

const AWAITING_PER_APP = 3;

describeEachStore(
  'droplets awaiting upload per app',
  (h) => {
    test('an app with the most droplets awaiting upload gets a 422 for another, and none is made; an upload or a delete makes room', async () => {
      const { app } = await freshApp(h);
      const waiting = [];
      for (let i = 0; i < AWAITING_PER_APP; i++) waiting.push(await createDroplet(h, app.guid));
      const refused = await h.post('/v3/droplets', createBody(app.guid));
      cfError(
        refused,
        422,
        ...UNPROCESSABLE,
        `The app has ${AWAITING_PER_APP} droplets awaiting upload, the most it may have: upload the bits of one or delete one before creating another`,
      );
      const listed = await h.get(`/v3/apps/${app.guid}/droplets?per_page=50`);
      assert.equal(listed.body.pagination.total_results, AWAITING_PER_APP, 'the refused create made no droplet');

      const other = await freshApp(h);
      await createDroplet(h, other.app.guid);

      const upload = await uploadBits(h, waiting[0].guid, await goodBundle());
      assert.equal(upload.status, 202, upload.text);
      await waitForJob(h, upload.headers.location as string);
      await createDroplet(h, app.guid);
      assert.equal((await h.post('/v3/droplets', createBody(app.guid))).status, 422);
      assert.equal((await h.delete(`/v3/droplets/${waiting[1].guid}`)).status, 202);
      await createDroplet(h, app.guid);
    });

    test('creates racing for the last room make no more than the limit', async () => {
      const { app } = await freshApp(h);
      const answers = await Promise.all(Array.from({ length: 8 }, () => h.post('/v3/droplets', createBody(app.guid))));
      assert.deepEqual(answers.map((r) => r.status).sort(), [
        ...Array(AWAITING_PER_APP).fill(201),
        ...Array(8 - AWAITING_PER_APP).fill(422),
      ]);
    });
  },
  { dropletsAwaitingUploadPerApp: AWAITING_PER_APP, runnerSlots: 0 },
);
