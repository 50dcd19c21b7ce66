// GET /v3/routes and /v3/apps/:guid/routes: always empty (taskd routes nothing to apps), with Cloud
// Controller's parameter checks, its `include` decorations and its app lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { emptyCfList } from '../support/cf-lists.js';

describeEachStore('routes', (h) => {
  test('GET /v3/routes answers an empty list, for any reader', async () => {
    const res = await h.get('/v3/routes');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, emptyCfList('https://api.example.org/v3/routes'));
    const user = await h.user();
    assert.deepEqual((await h.get('/v3/routes', user.token)).body.resources, []);
  });

  test('its filters are accepted, and an unknown one is refused as Cloud Controller refuses it', async () => {
    const filtered = await h.get('/v3/routes?hosts=www&app_guids=a,b&ports=8080&per_page=2');
    assert.equal(filtered.status, 200, filtered.text);
    assert.equal(filtered.body.pagination.total_results, 0);
    const unknown = await h.get('/v3/routes?names=x');
    cfError(unknown, 400, 'CF-BadQueryParameter', 10005);
    assert.match(unknown.body.errors[0].detail, /Unknown query parameter\(s\): 'names'\. Valid parameters are: 'page', 'per_page'/);
  });

  test('include adds each included list, empty; an unknown include is refused', async () => {
    const res = await h.get('/v3/routes?include=domain,space.organization');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.included, { domains: [], spaces: [], organizations: [] });
    assert.equal((await h.get('/v3/routes')).body.included, undefined);
    cfError(
      await h.get('/v3/routes?include=app'),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Invalid included resource: 'app'. Valid included resources are: 'domain', 'space', 'space.organization', 'route_policies'",
    );
  });

  test("GET /v3/apps/:guid/routes: the app's, empty; 404 for an app the reader cannot see", async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const app = await h.app(space.guid);
    const res = await h.get(`/v3/apps/${app.guid}/routes`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, emptyCfList(`https://api.example.org/v3/apps/${app.guid}/routes`));
    const stranger = await h.user();
    cfError(await h.get(`/v3/apps/${app.guid}/routes`, stranger.token), 404, 'CF-ResourceNotFound', 10010, 'App not found');
    cfError(await h.get('/v3/apps/no-such-app/routes'), 404, 'CF-ResourceNotFound', 10010, 'App not found');
    // Its parameters are checked first, as Cloud Controller checks them.
    cfError(await h.get('/v3/apps/no-such-app/routes?bogus=1'), 400, 'CF-BadQueryParameter', 10005);
  });

  test('/v3 links the routes, as the cf CLI needs to find them', async () => {
    const res = await h.request('GET', '/v3');
    assert.equal(res.body.links.routes.href, 'https://api.example.org/v3/routes');
  });
});
