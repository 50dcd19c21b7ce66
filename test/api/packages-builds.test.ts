// Packages (zip upload, states), builds (staging with binary_buildpack) and resource matching,
// as `cf push` uses them, with Cloud Controller's shapes and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { multipart } from '../droplets/tarballs.js';
import { zipOf, file, symlink } from '../support/zip.js';

const BASE = 'https://api.example.org';

async function freshApp(h: Harness) {
  const org = await h.org();
  const space = await h.space(org.guid);
  return { org, space, app: await h.app(space.guid) };
}

const appZip = () =>
  zipOf([
    { name: 'run.sh', content: '#!/bin/sh\necho hi\n', mode: file(0o755) },
    { name: 'data/greeting.txt', content: 'hello\n', mode: file() },
    { name: 'greeting', content: 'data/greeting.txt', mode: symlink() },
  ]);

async function createPackage(h: Harness, appGuid: string, token = h.admin.token) {
  return h.post('/v3/packages', { type: 'bits', relationships: { app: { data: { guid: appGuid } } } }, token);
}

function upload(h: Harness, packageGuid: string, zip: Buffer | string, resources = '[]', token = h.admin.token) {
  const { payload, contentType } = multipart([
    { field: 'resources', content: resources },
    { field: 'bits', filename: 'application.zip', content: zip },
  ]);
  return h.request('POST', `/v3/packages/${packageGuid}/upload`, { token, payload, headers: { 'content-type': contentType } });
}

async function waitFor(h: Harness, url: string, until: (body: any) => boolean): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const res = await h.get(url);
    assert.equal(res.status, 200, res.text);
    if (until(res.body)) return res.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${url} did not get there`);
}

async function readyPackage(h: Harness, appGuid: string, zip = appZip()) {
  const pkg = (await createPackage(h, appGuid)).body;
  assert.equal((await upload(h, pkg.guid, zip)).status, 200);
  return waitFor(h, `/v3/packages/${pkg.guid}`, (p) => p.state !== 'PROCESSING_UPLOAD');
}

describeEachStore('packages and builds', (h) => {
  test('a bits package: created AWAITING_UPLOAD in CC shape, uploaded as a zip, then READY with a sha256', async () => {
    const { app } = await freshApp(h);
    const created = await createPackage(h, app.guid);
    assert.equal(created.status, 201, created.text);
    const pkg = created.body;
    assert.deepEqual(Object.keys(pkg), ['guid', 'created_at', 'updated_at', 'type', 'data', 'state', 'relationships', 'metadata', 'links']);
    assert.equal(pkg.type, 'bits');
    assert.equal(pkg.state, 'AWAITING_UPLOAD');
    assert.deepEqual(pkg.data, { error: null, checksum: { type: 'sha256', value: null } });
    assert.deepEqual(pkg.relationships, { app: { data: { guid: app.guid } } });
    assert.deepEqual(pkg.links.upload, { href: `${BASE}/v3/packages/${pkg.guid}/upload`, method: 'POST' });

    const uploaded = await upload(h, pkg.guid, appZip());
    assert.equal(uploaded.status, 200, uploaded.text);
    assert.equal(uploaded.body.state, 'PROCESSING_UPLOAD');
    const ready = await waitFor(h, `/v3/packages/${pkg.guid}`, (p) => p.state !== 'PROCESSING_UPLOAD');
    assert.equal(ready.state, 'READY', JSON.stringify(ready));
    assert.match(ready.data.checksum.value, /^[0-9a-f]{64}$/);

    const again = await upload(h, pkg.guid, appZip());
    cfError(
      again,
      400,
      'CF-PackageBitsAlreadyUploaded',
      150004,
      'Bits may be uploaded only once. Create a new package to upload different bits.',
    );

    const listed = await h.get(`/v3/apps/${app.guid}/packages`);
    assert.deepEqual(
      listed.body.resources.map((p: any) => p.guid),
      [pkg.guid],
    );
    const filtered = await h.get(`/v3/packages?app_guids=${app.guid}&states=READY`);
    assert.equal(filtered.body.pagination.total_results, 1);
  });

  test('package refusals: docker type, unknown app, no bits, resources it cannot honour, a hostile zip', async () => {
    const { app } = await freshApp(h);
    cfError(
      await h.post('/v3/packages', { type: 'docker', relationships: { app: { data: { guid: app.guid } } } }),
      422,
      'CF-UnprocessableEntity',
      10008,
      'Cannot create Docker package for a buildpack app.',
    );
    cfError(
      await h.post('/v3/packages', { type: 'rar', relationships: { app: { data: { guid: app.guid } } } }),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Type must be one of 'bits, docker'",
    );
    cfError(
      await createPackage(h, '00000000-0000-4000-8000-000000000000'),
      422,
      'CF-UnprocessableEntity',
      10008,
      'App is invalid. Ensure it exists and you have access to it.',
    );

    const pkg = (await createPackage(h, app.guid)).body;
    const { payload, contentType } = multipart([{ field: 'resources', content: '[]' }]);
    const none = await h.request('POST', `/v3/packages/${pkg.guid}/upload`, {
      token: h.admin.token,
      payload,
      headers: { 'content-type': contentType },
    });
    cfError(none, 422, 'CF-UnprocessableEntity', 10008, 'Upload must include either resources or bits');
    cfError(await upload(h, pkg.guid, appZip(), 'not json'), 422, 'CF-UnprocessableEntity', 10008, 'Resources must be valid JSON.');
    const cached = await upload(h, pkg.guid, appZip(), JSON.stringify([{ fn: 'a', sha1: 'x', size: 1 }]));
    assert.equal(cached.status, 422);
    assert.match(cached.body.errors[0].detail, /taskd keeps no resource cache/);
    assert.equal((await h.get(`/v3/packages/${pkg.guid}`)).body.state, 'AWAITING_UPLOAD', 'a refused upload leaves it ready for another');

    const hostile = await readyPackage(h, app.guid, zipOf([{ name: '../escape', content: 'x' }]));
    assert.equal(hostile.state, 'FAILED');
    assert.equal(hostile.data.error, "Uploaded package file is invalid: entry '../escape' has a '..' path component");
    const notZip = await readyPackage(h, app.guid, Buffer.from('just text'));
    assert.equal(notZip.data.error, 'Uploaded package file is invalid: the package is not a zip archive');
  });

  test('deleting a package: 202 with a completed job; its bundle is gone from disk; GET /v3/builds lists by package', async () => {
    const { app } = await freshApp(h);
    const pkg = await readyPackage(h, app.guid);
    const bundle = path.join(h.config.dataDir, 'droplets', '.packages', `${pkg.guid}.tgz`);
    assert.ok(existsSync(bundle), 'a READY package keeps its bundle');
    const build = (await h.post('/v3/builds', { package: { guid: pkg.guid } })).body;
    await waitFor(h, `/v3/builds/${build.guid}`, (b) => b.state !== 'STAGING');
    const byPackage = await h.get(`/v3/builds?package_guids=${pkg.guid}`);
    assert.deepEqual(
      byPackage.body.resources.map((b: any) => b.guid),
      [build.guid],
    );

    const deleted = await h.delete(`/v3/packages/${pkg.guid}`);
    assert.equal(deleted.status, 202, deleted.text);
    assert.equal((await h.get(new URL(String(deleted.headers.location)).pathname)).body.state, 'COMPLETE');
    cfError(await h.get(`/v3/packages/${pkg.guid}`), 404, 'CF-ResourceNotFound', 10010, 'Package not found');
    assert.ok(!existsSync(bundle), 'its bundle is removed');
    assert.equal((await h.get(`/v3/builds/${build.guid}`)).body.package.guid, pkg.guid, 'a build still names what it was made of');
  });

  test('a node without the package bundle on disk stages it from PostgreSQL; on SQLite it says the bits are gone', async () => {
    const { app } = await freshApp(h);
    const pkg = await readyPackage(h, app.guid);
    // As on another node of a shared database, or after the data directory lost the file.
    rmSync(path.join(h.config.dataDir, 'droplets', '.packages', `${pkg.guid}.tgz`));
    const res = await h.post('/v3/builds', { package: { guid: pkg.guid } });
    if (h.kind === 'postgres') {
      assert.equal(res.status, 201, res.text);
      const staged = await waitFor(h, `/v3/builds/${res.body.guid}`, (b) => b.state !== 'STAGING');
      assert.equal(staged.state, 'STAGED', JSON.stringify(staged));
      const dir = path.join(h.config.dataDir, 'droplets', staged.droplet.guid);
      assert.equal(readFileSync(path.join(dir, 'run.sh'), 'utf8'), '#!/bin/sh\necho hi\n');
    } else {
      cfError(res, 422, 'CF-UnprocessableEntity', 10008, 'The package has no bits on this node: upload them again in a new package.');
    }
  });

  test('resource matching answers no matches: taskd keeps no cache, so every file is uploaded', async () => {
    const res = await h.post('/v3/resource_matches', {
      resources: [{ checksum: { value: 'a'.repeat(40) }, size_in_bytes: 10, path: 'x', mode: '644' }],
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { resources: [] });
    cfError(await h.post('/v3/resource_matches', { resources: 'x' }), 422, 'CF-UnprocessableEntity', 10008, 'Resources must be an array');
  });

  test('a build stages a READY package into a droplet holding its files; the app can run tasks in it', async () => {
    const { app } = await freshApp(h);
    const pkg = await readyPackage(h, app.guid);
    const created = await h.post('/v3/builds', { package: { guid: pkg.guid } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.state, 'STAGING');
    assert.deepEqual(created.body.package, { guid: pkg.guid });
    assert.equal(created.body.droplet, null);
    assert.equal(created.body.created_by.name, 'admin');
    assert.deepEqual(created.body.relationships, { app: { data: { guid: app.guid } } });

    const staged = await waitFor(h, `/v3/builds/${created.body.guid}`, (b) => b.state !== 'STAGING');
    assert.equal(staged.state, 'STAGED', JSON.stringify(staged));
    assert.equal(staged.error, null);
    const droplet = (await h.get(`/v3/droplets/${staged.droplet.guid}`)).body;
    assert.equal(droplet.state, 'STAGED');
    assert.deepEqual(droplet.buildpacks, [], 'the app names no buildpack');
    assert.equal(droplet.stack, 'cflinuxfs4');
    const dir = path.join(h.config.dataDir, 'droplets', droplet.guid);
    assert.equal(readFileSync(path.join(dir, 'run.sh'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal(readFileSync(path.join(dir, 'greeting'), 'utf8'), 'hello\n');
    assert.deepEqual(readdirSync(path.join(h.config.dataDir, 'droplets', '.incoming')), [], 'no staging leftovers');

    const listed = await h.get(`/v3/apps/${app.guid}/builds?states=STAGED`);
    assert.deepEqual(
      listed.body.resources.map((b: any) => b.guid),
      [created.body.guid],
    );
  });

  test('build refusals: a package not READY, another build staging, and a buildpack taskd does not have', async () => {
    const { app } = await freshApp(h);
    const waiting = (await createPackage(h, app.guid)).body;
    cfError(
      await h.post('/v3/builds', { package: { guid: waiting.guid } }),
      400,
      'CF-BadRequest',
      1004,
      'Bad request: Cannot stage package whose state is not ready.',
    );
    cfError(
      await h.post('/v3/builds', { package: { guid: '00000000-0000-4000-8000-000000000000' } }),
      422,
      'CF-UnprocessableEntity',
      10008,
      'Unable to use package. Ensure that the package exists and you have access to it.',
    );

    const pkg = await readyPackage(h, app.guid);
    const ruby = await h.post('/v3/builds', {
      package: { guid: pkg.guid },
      lifecycle: { type: 'buildpack', data: { buildpacks: ['ruby_buildpack'] } },
    });
    assert.equal(ruby.status, 201, ruby.text);
    assert.equal(ruby.body.state, 'FAILED');
    assert.match(ruby.body.error, /^StagingError - Staging error: taskd stages with binary_buildpack only .*"ruby_buildpack"/);

    const first = await h.post('/v3/builds', {
      package: { guid: pkg.guid },
      lifecycle: { type: 'buildpack', data: { buildpacks: ['binary_buildpack'], stack: 'cflinuxfs3' } },
    });
    const second = await h.post('/v3/builds', { package: { guid: pkg.guid } });
    // The first may already be staged on a fast machine; while it stages, a second is refused.
    if (second.status !== 201)
      cfError(second, 422, 'CF-StagingInProgress', 170017, 'Only one build can be STAGING at a time per application.');
    const built = await waitFor(h, `/v3/builds/${first.body.guid}`, (b) => b.state !== 'STAGING');
    const droplet = (await h.get(`/v3/droplets/${built.droplet.guid}`)).body;
    assert.deepEqual(droplet.buildpacks, [{ name: 'binary_buildpack', detect_output: null, buildpack_name: null, version: null }]);
    assert.equal(droplet.stack, 'cflinuxfs3');
  });

  test('a space auditor reads packages and builds but cannot create them', async () => {
    const { space, app } = await freshApp(h);
    const pkg = await readyPackage(h, app.guid);
    const auditor = await h.user();
    await h.role('space_auditor', auditor.guid, { space: space.guid });
    assert.equal((await h.get(`/v3/packages/${pkg.guid}`, auditor.token)).status, 200);
    cfError(
      await createPackage(h, app.guid, auditor.token),
      403,
      'CF-NotAuthorized',
      10003,
      'You are not authorized to perform the requested action',
    );
    cfError(
      await h.post('/v3/builds', { package: { guid: pkg.guid } }, auditor.token),
      422,
      'CF-UnprocessableEntity',
      10008,
      'Unable to use package. Ensure that the package exists and you have access to it.',
    );
    const stranger = await h.user();
    cfError(await h.get(`/v3/packages/${pkg.guid}`, stranger.token), 404, 'CF-ResourceNotFound', 10010, 'Package not found');
  });

  test('GET /v3/buildpacks and /v3/stacks name what taskd stages with', async () => {
    const buildpacks = await h.get('/v3/buildpacks');
    assert.equal(buildpacks.status, 200, buildpacks.text);
    assert.deepEqual([...new Set(buildpacks.body.resources.map((b: any) => b.name))], ['binary_buildpack']);
    const stacks = await h.get('/v3/stacks');
    assert.deepEqual(
      stacks.body.resources.map((s: any) => [s.name, s.default]),
      [
        ['cflinuxfs4', true],
        ['cflinuxfs3', false],
      ],
    );
    const one = await h.get('/v3/stacks?names=cflinuxfs3&per_page=1');
    assert.equal(one.body.resources.length, 1);
  });
});
