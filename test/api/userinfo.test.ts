// GET /userinfo: the token's user as UAA's userinfo endpoint answers, for tokens with scope openid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/harness.js';
import { currentSigningKey, signedAccessToken } from '../support/signing-key.js';

describeEachStore('GET /userinfo', (h) => {
  test("a user's token gets the user, in UAA's fields", async () => {
    const u = await h.user();
    const res = await h.get('/userinfo', u.token);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.body, {
      user_id: u.guid,
      sub: u.guid,
      user_name: u.username,
      given_name: null,
      family_name: null,
      email: u.username,
      email_verified: false,
      phone_number: null,
      previous_logon_time: null,
      name: '',
    });
  });

  test('no token, a bad token, or one without scope openid is refused in UAA shape', async () => {
    const none = await h.request('GET', '/userinfo');
    assert.equal(none.status, 401);
    assert.deepEqual(none.body, { error: 'unauthorized', error_description: 'Full authentication is required to access this resource' });
    const bad = await h.get('/userinfo', 'not-a-token');
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error, 'invalid_token');
    // A token from before tokens carried openid: still the user's, but not for userinfo.
    const key = await currentSigningKey(h.db, h.config.dataDir);
    const older = await signedAccessToken(key, { user_id: h.admin.guid, user_name: 'admin', scope: ['cloud_controller.read'] });
    assert.equal((await h.get('/v3/organizations', older)).status, 200);
    const res = await h.get('/userinfo', older);
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { error: 'insufficient_scope', error_description: 'Insufficient scope for this resource' });
  });
});
