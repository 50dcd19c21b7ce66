// An app's environment variables are bounded (TASKD_MAX_APP_ENV_CHARS, 65,536 characters as JSON
// by default): every task of the app runs with them, and PATCHes merge, so without a bound they
// grew by a request body at a time (a 40 MB environment was reached). Changing them is audited
// as Cloud Controller does, with the values hidden.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;
const TOO_LONG = 'environment_variables exceeded the maximum length allowed of 65536 characters as json';

async function freshApp(h: Harness, env?: Record<string, string>) {
  const org = await h.org();
  const space = await h.space(org.guid);
  return { org, space, app: await h.app(space.guid, undefined, env ? { environment_variables: env } : {}) };
}

const envOf = async (h: Harness, guid: string) => (await h.get(`/v3/apps/${guid}/environment_variables`)).body.var;

describeEachStore('limits of app environment variables', (h) => {
  test('creating an app with variables longer than the limit is a 422 in the app model words; no app is made', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const name = h.unique('big-env');
    const res = await h.post('/v3/apps', {
      name,
      relationships: { space: { data: { guid: space.guid } } },
      environment_variables: { BLOB: 'x'.repeat(65_536) },
    });
    cfError(res, 422, ...UNPROCESSABLE, TOO_LONG);
    assert.equal((await h.get(`/v3/apps?names=${name}`)).body.resources.length, 0);
  });

  test('the limit counts characters as JSON, as CF does: exactly at the limit is fine', async () => {
    // {"A":"…"} is 8 characters around the value; an emoji counts as one character.
    const { app } = await freshApp(h, { A: '😀'.repeat(65_536 - 8) });
    assert.equal((await envOf(h, app.guid)).A.length, 2 * (65_536 - 8));
  });

  test('PATCHes merge up to the limit and no further: the one that would pass it changes nothing', async () => {
    const { app } = await freshApp(h);
    const chunk = 'y'.repeat(30_000);
    for (const key of ['ONE', 'TWO']) {
      const res = await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { [key]: chunk } });
      assert.equal(res.status, 200, res.text);
    }
    const third = await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { THREE: chunk } });
    cfError(third, 422, ...UNPROCESSABLE, TOO_LONG);
    assert.deepEqual(Object.keys(await envOf(h, app.guid)), ['ONE', 'TWO']);
    // Replacing or deleting still works.
    const smaller = await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { ONE: null, THREE: chunk } });
    assert.equal(smaller.status, 200, smaller.text);
    assert.deepEqual(Object.keys(await envOf(h, app.guid)).sort(), ['THREE', 'TWO']);
  });

  test('a body beyond the request limit (a 40 MB environment) is a 413 in CF envelope, and nothing changes', async () => {
    const { app } = await freshApp(h, { KEEP: 'k' });
    const res = await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { BLOB: 'z'.repeat(40 * 1024 * 1024) } });
    cfError(res, 413, 'CF-RequestEntityTooLarge', 10014);
    assert.deepEqual(await envOf(h, app.guid), { KEEP: 'k' });
  });
});

describeEachStore('auditing app environment variable changes', (h) => {
  test('PATCH /v3/apps/:guid/environment_variables records audit.app.update with the values hidden', async () => {
    const { org, space, app } = await freshApp(h);
    const secret = 'hunter2-very-secret-value';
    const res = await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { DATABASE_PASSWORD: secret, OLD: null } });
    assert.equal(res.status, 200, res.text);

    const list = await h.get(`/v3/audit_events?types=audit.app.update&target_guids=${app.guid}`);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.resources.length, 1);
    const e = list.body.resources[0];
    assert.equal(e.type, 'audit.app.update');
    assert.deepEqual(e.target, { guid: app.guid, type: 'app', name: app.name });
    assert.equal(e.actor.guid, h.admin.guid);
    assert.equal(e.actor.type, 'user');
    assert.deepEqual(e.space, { guid: space.guid });
    assert.deepEqual(e.organization, { guid: org.guid });
    assert.deepEqual(e.data, { request: { environment_variables: '[PRIVATE DATA HIDDEN]' } });

    const stored = await h.db.selectFrom('audit_events').select('data').where('guid', '=', e.guid).executeTakeFirstOrThrow();
    assert.ok(!stored.data.includes(secret) && !stored.data.includes('DATABASE_PASSWORD'), 'neither values nor names are stored');
  });

  test('a refused change records nothing', async () => {
    const { app } = await freshApp(h);
    const res = await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { BLOB: 'x'.repeat(70_000) } });
    assert.equal(res.status, 422);
    const list = await h.get(`/v3/audit_events?types=audit.app.update&target_guids=${app.guid}`);
    assert.equal(list.body.resources.length, 0);
  });
});
