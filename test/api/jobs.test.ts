import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { createDroplet, uploadBits, waitForJob } from '../droplets/helpers.js';
import { goodBundle, tgzOf } from '../droplets/tarballs.js';

const JOB_KEYS = ['guid', 'created_at', 'updated_at', 'operation', 'state', 'errors', 'warnings', 'links'];

async function freshApp(h: Harness) {
  const org = await h.org();
  const space = await h.space(org.guid);
  return { org, space, app: await h.app(space.guid) };
}

const jobGuidOf = (location: unknown) => String(location).split('/').pop()!;

describeEachStore('jobs', (h) => {
  const matrix = sharedRoleMatrix(h);

  test('a completed upload job in CF shape, linking its droplet', async () => {
    const { app } = await freshApp(h);
    const droplet = await createDroplet(h, app.guid);
    const res = await uploadBits(h, droplet.guid, await goodBundle());
    const guid = jobGuidOf(res.headers.location);
    const job = await waitForJob(h, guid);
    assert.deepEqual(Object.keys(job), JOB_KEYS);
    assert.equal(job.guid, guid);
    assert.match(job.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.match(job.updated_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.deepEqual(
      { operation: job.operation, state: job.state, errors: job.errors, warnings: job.warnings },
      { operation: 'droplet.upload', state: 'COMPLETE', errors: [], warnings: [] },
    );
    assert.deepEqual(job.links, {
      self: { href: `https://api.example.org/v3/jobs/${guid}` },
      droplet: { href: `https://api.example.org/v3/droplets/${droplet.guid}` },
    });
  });

  test('a failed upload job carries CF-shaped errors', async () => {
    const { app } = await freshApp(h);
    const droplet = await createDroplet(h, app.guid);
    const res = await uploadBits(h, droplet.guid, await tgzOf([{ name: '/etc/cron.d/x', content: '* * * * * root sh' }]));
    const job = await waitForJob(h, jobGuidOf(res.headers.location));
    assert.equal(job.state, 'FAILED');
    assert.deepEqual(job.errors, [
      {
        code: 10008,
        title: 'CF-UnprocessableEntity',
        detail: "Uploaded droplet file is invalid: entry '/etc/cron.d/x' has an absolute path",
      },
    ]);
  });

  test('a job whose resource is gone has no resource link and stays visible to whoever holds its guid', async () => {
    const m = await matrix();
    const app = await h.app(m.space.guid);
    const droplet = await createDroplet(h, app.guid);
    const res = await h.delete(`/v3/droplets/${droplet.guid}`, m.tokens.space_developer);
    assert.equal(res.status, 202);
    const guid = jobGuidOf(res.headers.location);
    const job = await waitForJob(h, guid, m.tokens.space_developer);
    assert.equal(job.operation, 'droplet.delete');
    assert.equal(job.state, 'COMPLETE');
    assert.deepEqual(job.links, { self: { href: `https://api.example.org/v3/jobs/${guid}` } });
  });

  test('an unknown job is 404', async () => {
    cfError(await h.get('/v3/jobs/no-such-job'), 404, 'CF-ResourceNotFound', 10010, 'Job not found');
  });

  const visible: Record<RoleName, boolean> = {
    admin: true,
    admin_read_only: true,
    global_auditor: true,
    org_manager: true,
    org_auditor: false,
    space_developer: true,
    space_manager: true,
    space_auditor: true,
    space_supporter: true,
    no_role: false,
  };
  for (const role of ROLES) {
    test(`an upload job is ${visible[role] ? 'visible' : 'hidden (404)'} to ${role}`, async () => {
      const m = await matrix();
      const app = await h.app(m.space.guid);
      const droplet = await createDroplet(h, app.guid);
      const guid = jobGuidOf((await uploadBits(h, droplet.guid, await goodBundle())).headers.location);
      await waitForJob(h, guid);
      const res = await h.get(`/v3/jobs/${guid}`, m.tokens[role]);
      if (visible[role]) {
        assert.equal(res.status, 200);
        assert.equal(res.body.guid, guid);
      } else {
        cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Job not found');
      }
    });
  }

  test('space and organization delete jobs are visible to the managers who made them', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const manager = await h.user();
    await h.role('organization_manager', manager.guid, { org: org.guid });
    const res = await h.delete(`/v3/spaces/${space.guid}`, manager.token);
    assert.equal(res.status, 202);
    const job = await waitForJob(h, jobGuidOf(res.headers.location), manager.token);
    assert.deepEqual([job.operation, job.state], ['space.delete', 'COMPLETE']);
    assert.equal(job.links.space, undefined);
  });
});
