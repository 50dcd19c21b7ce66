import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../../support/harness.js';
import { apiError, basic, call, openSession, restError } from './helpers.js';

const REST = '/rest/com/vmware/cis/session';

describeEachStore('vSphere sessions', (h) => {
  test('/rest create answers {"value": id} and sets the cookie only for clients without header authn', async () => {
    const headerClient = await h.request('POST', REST, {
      headers: { authorization: basic('admin', h.adminPassword), 'vmware-use-header-authn': 'true' },
    });
    assert.equal(headerClient.status, 200, headerClient.text);
    assert.match(headerClient.body.value, /^[0-9a-f]{32}$/);
    assert.equal(headerClient.headers['set-cookie'], undefined);

    const browser = await h.request('POST', REST, { headers: { authorization: basic('admin', h.adminPassword) } });
    assert.equal(browser.status, 200, browser.text);
    assert.notEqual(browser.body.value, headerClient.body.value);
    const cookie = String(browser.headers['set-cookie']);
    assert.match(cookie, new RegExp(`^vmware-api-session-id=${browser.body.value};`));
    assert.match(cookie, /Path=\/rest/);
  });

  test('the store keeps only the sha-256 of a session id', async () => {
    const id = await openSession(h);
    const rows = await h.db.selectFrom('vsphere_sessions').select('id_hash').execute();
    assert.ok(rows.every((r) => r.id_hash !== id));
    const { createHash } = await import('node:crypto');
    assert.ok(rows.some((r) => r.id_hash === createHash('sha256').update(id).digest('hex')));
  });

  test('/rest get answers who and when, by header or by cookie; last access moves on', async () => {
    const user = await h.user();
    const id = await openSession(h, user);
    const byHeader = await call(h, 'POST', `${REST}?~action=get`, id);
    assert.equal(byHeader.status, 200, byHeader.text);
    assert.deepEqual(Object.keys(byHeader.body.value), ['user', 'created_time', 'last_accessed_time']);
    assert.equal(byHeader.body.value.user, user.username);
    assert.match(byHeader.body.value.created_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(byHeader.body.value.last_accessed_time >= byHeader.body.value.created_time);

    const byCookie = await h.request('POST', `${REST}?action=get`, { headers: { cookie: `other=1; vmware-api-session-id=${id}` } });
    assert.equal(byCookie.status, 200, byCookie.text);
    assert.equal(byCookie.body.value.user, user.username);
    assert.ok(byCookie.body.value.last_accessed_time >= byHeader.body.value.last_accessed_time);
  });

  test('/rest delete (DELETE or ~action=delete) answers 200 with no body and ends the session', async () => {
    for (const [method, url] of [
      ['DELETE', REST],
      ['POST', `${REST}?~action=delete`],
      ['DELETE', `${REST}?~action=delete`],
    ]) {
      const id = await openSession(h);
      const res = await call(h, method, url, id);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.text, '');
      restError(await call(h, 'POST', `${REST}?~action=get`, id), 401, 'unauthenticated', 'expired');
      restError(await call(h, 'GET', '/rest/cis/tasks?filter_spec.services=taskd.task', id), 401, 'unauthenticated');
    }
  });

  test('/api: POST 201 with a bare JSON string, GET the info, DELETE 204', async () => {
    const created = await h.request('POST', '/api/session', { headers: { authorization: basic('admin', h.adminPassword) } });
    assert.equal(created.status, 201, created.text);
    assert.match(String(created.headers['content-type']), /^application\/json/);
    assert.equal(typeof created.body, 'string');
    assert.equal(created.headers['set-cookie'], undefined);
    const id = created.body as string;

    const info = await call(h, 'GET', '/api/session', id);
    assert.equal(info.status, 200, info.text);
    assert.equal(info.body.user, 'admin');
    assert.ok(info.body.created_time && info.body.last_accessed_time);

    const gone = await call(h, 'DELETE', '/api/session', id);
    assert.equal(gone.status, 204);
    assert.equal(gone.text, '');
    apiError(await call(h, 'GET', '/api/session', id), 401, 'UNAUTHENTICATED');
  });

  test('a session from /rest works on /api and the other way round', async () => {
    const restId = await openSession(h);
    assert.equal((await call(h, 'GET', '/api/session', restId)).status, 200);
    const apiId = (await h.request('POST', '/api/session', { headers: { authorization: basic('admin', h.adminPassword) } })).body;
    assert.equal((await call(h, 'POST', `${REST}?~action=get`, apiId)).status, 200);
  });

  test('bad, missing or malformed credentials are 401 unauthenticated in each envelope', async () => {
    const user = await h.user();
    for (const authorization of [
      basic(user.username, 'wrong'),
      basic('nobody-at-all', 'x'),
      undefined,
      'Basic !!!',
      `bearer ${user.token}`,
    ]) {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      restError(await h.request('POST', REST, { headers }), 401, 'unauthenticated');
      apiError(await h.request('POST', '/api/session', { headers }), 401, 'UNAUTHENTICATED');
    }
    restError(
      await h.request('POST', REST, { headers: { authorization: basic(user.username, 'wrong') } }),
      401,
      'unauthenticated',
      'Invalid user name or password',
    );
  });

  test('without a session, or with an unknown one, every other operation is 401 unauthenticated', async () => {
    restError(await call(h, 'POST', `${REST}?~action=get`, undefined), 401, 'unauthenticated', 'vmware-api-session-id');
    restError(await call(h, 'GET', '/rest/cis/tasks?filter_spec.services=taskd.task', 'f'.repeat(32)), 401, 'unauthenticated');
    apiError(
      await call(h, 'POST', '/api/cis/tasks?action=list', undefined, { filter_spec: { services: ['taskd.task'] } }),
      401,
      'UNAUTHENTICATED',
    );
    apiError(await call(h, 'DELETE', '/api/session', 'nope'), 401, 'UNAUTHENTICATED');
    // A CF token is not a session.
    apiError(await h.request('GET', '/api/session', { token: h.admin.token }), 401, 'UNAUTHENTICATED');
  });

  test('a session idle for 30 minutes has expired; one used within them has not', async () => {
    const { createHash } = await import('node:crypto');
    const idle = await openSession(h);
    const recent = await openSession(h);
    const setIdle = (id: string, minutes: number) =>
      h.db
        .updateTable('vsphere_sessions')
        .set({ last_accessed_at: new Date(Date.now() - minutes * 60_000).toISOString() })
        .where('id_hash', '=', createHash('sha256').update(id).digest('hex'))
        .execute();
    await setIdle(idle, 31);
    await setIdle(recent, 29);
    restError(await call(h, 'POST', `${REST}?~action=get`, idle), 401, 'unauthenticated', 'expired');
    apiError(await call(h, 'GET', '/api/session', idle), 401, 'UNAUTHENTICATED');
    const alive = await call(h, 'POST', `${REST}?~action=get`, recent);
    assert.equal(alive.status, 200, alive.text);
    // Using it restarted its idle time.
    assert.ok(Date.now() - Date.parse(alive.body.value.last_accessed_time) < 60_000);
  });

  test('a session ends with its user', async () => {
    const user = await h.user();
    const id = await openSession(h, user);
    // taskd's API deletes no users; one removed from the database is gone all the same.
    await h.db.deleteFrom('users').where('guid', '=', user.guid).execute();
    restError(await call(h, 'POST', `${REST}?~action=get`, id), 401, 'unauthenticated');
  });

  test('unknown actions and parameters on the session are 400 invalid_argument', async () => {
    const id = await openSession(h);
    restError(await call(h, 'POST', `${REST}?~action=refresh`, id), 400, 'invalid_argument', "Unknown action 'refresh'");
    restError(await call(h, 'DELETE', `${REST}?force=true`, id), 400, 'invalid_argument', "'force'");
    apiError(await call(h, 'GET', '/api/session?x=1', id), 400, 'INVALID_ARGUMENT', "'x'");
  });
});
