// The NUL character, which PostgreSQL's text cannot hold, is refused in every part of a request
// before it reaches the store: the same clear 4xx on both stores, never a 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/harness.js';

describeEachStore('NUL characters in requests', (h) => {
  test('in a query parameter: 400 CF-BadQueryParameter, for lists of every kind', async () => {
    for (const url of [
      '/v3/tasks?names=a%00b',
      '/v3/tasks?guids=%00',
      '/v3/apps?names=%00',
      '/v3/organizations?names=x%00',
      '/v3/spaces?names=%00',
    ]) {
      const res = await h.get(url);
      assert.equal(res.status, 400, `${url}: ${res.text}`);
      assert.deepEqual(res.body.errors, [
        {
          detail: 'The query parameter is invalid: parameters must not contain the NUL character',
          title: 'CF-BadQueryParameter',
          code: 10005,
        },
      ]);
    }
  });

  test('in the path: 404, as for any resource that cannot exist', async () => {
    for (const url of ['/v3/tasks/a%00b', '/v3/apps/%00/tasks']) {
      const res = await h.get(url);
      assert.equal(res.status, 404, `${url}: ${res.text}`);
      assert.equal(res.body.errors[0].title, 'CF-NotFound');
    }
  });

  test('in a JSON body, in a value or a key: 400 CF-MessageParseError and nothing is created', async () => {
    for (const body of [{ name: 'a\u0000b' }, { name: 'ok', metadata: { labels: { 'k\u0000': 'v' } } }]) {
      const res = await h.post('/v3/organizations', body);
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(res.body.errors, [
        {
          detail: 'Request invalid due to parse error: the body must not contain the NUL character',
          title: 'CF-MessageParseError',
          code: 1001,
        },
      ]);
    }
    const orgs = await h.get('/v3/organizations?names=ok');
    assert.equal(orgs.body.resources.length, 0);
  });

  test("in the token form: UAA's own 400 invalid_request", async () => {
    const res = await h.request('POST', '/oauth/token', {
      headers: { authorization: `Basic ${Buffer.from('cf:').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=password&username=admin%00&password=x',
    });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.body, {
      error: 'invalid_request',
      error_description: 'Request invalid due to parse error: the body must not contain the NUL character',
    });
  });

  test('through the other dialects: each refuses it in its own envelope', async () => {
    const org = await h.org();
    const astra = await h.get(`/accounts/${org.guid}/core/v1/tasks?filter=name%20eq%20%27a%00%27`);
    assert.equal(astra.status, 400, astra.text);
    assert.equal(astra.body.type, 'https://astra.netapp.io/problems/5');
    const session = await h.request('POST', '/rest/com/vmware/cis/session', {
      headers: { authorization: `Basic ${Buffer.from(`admin:${h.adminPassword}`).toString('base64')}` },
    });
    const vsphere = await h.request('GET', '/rest/cis/tasks?filter_spec.tasks=a%00', {
      headers: { 'vmware-api-session-id': session.body.value },
    });
    assert.equal(vsphere.status, 400, vsphere.text);
    assert.equal(vsphere.body.type, 'com.vmware.vapi.std.errors.invalid_argument');
    const dbvisit = await h.request('POST', '/task/list', { token: h.admin.token, body: { params: { show_hidden: false, x: 'a\u0000' } } });
    assert.equal(dbvisit.status, 400, dbvisit.text);
    assert.equal(dbvisit.body.successful, false);
  });
});
