import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/harness.js';

describeEachStore('root', (h) => {
  test("GET / answers CF's root links without a token; uaa and login point back at taskd", async () => {
    const res = await h.request('GET', '/');
    assert.equal(res.status, 200);
    const { links } = res.body;
    assert.equal(links.self.href, 'https://api.example.org');
    assert.equal(links.cloud_controller_v3.href, 'https://api.example.org/v3');
    assert.match(links.cloud_controller_v3.meta.version, /^3\.\d+\.\d+$/);
    assert.deepEqual(links.uaa, { href: 'https://api.example.org' });
    assert.deepEqual(links.login, { href: 'https://api.example.org' });
    // Log cache is taskd itself (api/logcache): `cf logs` reads task output there.
    assert.deepEqual(links.log_cache, { href: 'https://api.example.org' });
    for (const absent of ['cloud_controller_v2', 'credhub', 'routing', 'app_ssh']) assert.equal(links[absent], null, absent);
  });

  test('the uaa link leads to a working token endpoint', async () => {
    const root = await h.request('GET', '/');
    const tokenUrl = new URL('/oauth/token', root.body.links.uaa.href);
    const res = await h.request('POST', tokenUrl.pathname, {
      headers: { authorization: `Basic ${Buffer.from('cf:').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'password', username: 'admin', password: h.adminPassword }).toString(),
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.token_type, 'bearer');
  });

  test('GET /v3 lists the resources taskd serves', async () => {
    const res = await h.request('GET', '/v3');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.links.self, { href: 'https://api.example.org/v3' });
    for (const name of ['apps', 'droplets', 'organizations', 'processes', 'roles', 'spaces', 'tasks', 'users', 'feature_flags']) {
      assert.deepEqual(res.body.links[name], { href: `https://api.example.org/v3/${name}` }, name);
    }
  });

  test('discovery ignores a bad token rather than refusing', async () => {
    const res = await h.request('GET', '/v3', { headers: { authorization: 'bearer not-a-token' } });
    assert.equal(res.status, 200);
  });

  test("GET /login gives the cf CLI its prompts and taskd's own address", async () => {
    const res = await h.request('GET', '/login');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.prompts, { username: ['text', 'Username'], password: ['password', 'Password'] });
    assert.equal(res.body.links.uaa, 'https://api.example.org');
    assert.equal(res.body.links.login, 'https://api.example.org');
  });

  test("without TASKD_EXTERNAL_URL, links use the request's own host", async () => {
    const original = h.config.externalUrl;
    h.config.externalUrl = undefined;
    try {
      const res = await h.request('GET', '/', { headers: { host: 'taskd.internal:9000' } });
      assert.equal(res.body.links.uaa.href, 'http://taskd.internal:9000');
      assert.equal(res.body.links.cloud_controller_v3.href, 'http://taskd.internal:9000/v3');
      const login = await h.request('GET', '/login', { headers: { host: 'taskd.internal:9000' } });
      assert.equal(login.body.links.uaa, 'http://taskd.internal:9000');
    } finally {
      h.config.externalUrl = original;
    }
  });
});
