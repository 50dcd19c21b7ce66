// include= on GET /v3/apps and /v3/apps/:guid: the apps' spaces (space), organizations (org), or
// both (space.organization), as Cloud Controller's decorators add them; checked as CC checks it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';

describeEachStore('apps: include', (h) => {
  async function twoApps() {
    const org = await h.org();
    const space = await h.space(org.guid);
    const first = await h.app(space.guid);
    const second = await h.app(space.guid);
    return { org, space, first, second };
  }

  test('a list with include=space,space.organization carries each space and organization once, as their endpoints show them', async () => {
    const { org, space } = await twoApps();
    const res = await h.get(`/v3/apps?space_guids=${space.guid}&include=space,space.organization`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.resources.length, 2);
    assert.deepEqual(res.body.included, {
      spaces: [(await h.get(`/v3/spaces/${space.guid}`)).body],
      organizations: [(await h.get(`/v3/organizations/${org.guid}`)).body],
    });
  });

  test('include=org adds only the organizations, include=space only the spaces', async () => {
    const { org, space } = await twoApps();
    const orgs = await h.get(`/v3/apps?space_guids=${space.guid}&include=org`);
    assert.deepEqual(Object.keys(orgs.body.included), ['organizations']);
    assert.equal(orgs.body.included.organizations[0].guid, org.guid);
    const spaces = await h.get(`/v3/apps?space_guids=${space.guid}&include=space`);
    assert.deepEqual(Object.keys(spaces.body.included), ['spaces']);
    assert.equal(spaces.body.included.spaces[0].guid, space.guid);
  });

  test('one app with include=space.organization', async () => {
    const { org, space, first } = await twoApps();
    const res = await h.get(`/v3/apps/${first.guid}?include=space.organization`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.guid, first.guid);
    assert.deepEqual(
      [res.body.included.spaces.map((s: { guid: string }) => s.guid), res.body.included.organizations.map((o: { guid: string }) => o.guid)],
      [[space.guid], [org.guid]],
    );
    assert.equal((await h.get(`/v3/apps/${first.guid}`)).body.included, undefined);
  });

  test('an include apps have not, a repeated one or another parameter on a show is a 400', async () => {
    const { first } = await twoApps();
    const valid = "Valid included resources are: 'space', 'org', 'space.organization'";
    cfError(
      await h.get('/v3/apps?include=droplet'),
      400,
      'CF-BadQueryParameter',
      10005,
      `The query parameter is invalid: Invalid included resource: 'droplet'. ${valid}`,
    );
    cfError(
      await h.get(`/v3/apps/${first.guid}?include=space,space`),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Duplicate included resource: 'space'",
    );
    cfError(
      await h.get(`/v3/apps/${first.guid}?names=x`),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Unknown query parameter(s): 'names'. Valid parameters are: 'include'",
    );
  });

  test('a reader without a role in the space sees neither the app nor its space', async () => {
    const { first } = await twoApps();
    const stranger = await h.user();
    cfError(await h.get(`/v3/apps/${first.guid}?include=space`, stranger.token), 404, 'CF-ResourceNotFound', 10010, 'App not found');
    const list = await h.get('/v3/apps?include=space', stranger.token);
    assert.deepEqual([list.body.resources, list.body.included], [[], { spaces: [] }]);
  });
});
