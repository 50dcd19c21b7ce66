import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { currentSigningKey, signedAccessToken, type CurrentSigningKey } from '../support/signing-key.js';
import { tokenRequest } from '../support/oauth.js';

function signingKey(h: Harness): Promise<CurrentSigningKey> {
  return currentSigningKey(h.db, h.config.dataDir);
}

/** A token shaped like taskd's, signed with `key`; `exp` in seconds since the epoch. */
function craftToken(claims: { user_id: string; token_use?: string; exp: number }, key: CurrentSigningKey): Promise<string> {
  return new SignJWT({
    user_id: claims.user_id,
    user_name: null,
    scope: ['cloud_controller.read', 'cloud_controller.write'],
    client_id: 'cf',
    token_use: claims.token_use ?? 'access',
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
    .setSubject(claims.user_id)
    .setIssuer('taskd')
    .setJti(randomUUID())
    .setIssuedAt(claims.exp - 1200)
    .setExpirationTime(claims.exp)
    .sign(key.privateKey);
}

describeEachStore('oauth', (h) => {
  test('password grant: form-encoded with the cf client, answers a UAA token response', async () => {
    const u = await h.user();
    const res = await tokenRequest(h, { grant_type: 'password', username: u.username, password: `pw-${u.username}` });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'expires_in', 'jti', 'refresh_token', 'scope', 'token_type']);
    assert.equal(res.body.token_type, 'bearer');
    assert.equal(res.body.expires_in, h.config.accessTokenSeconds);
    assert.equal(res.body.scope, 'openid cloud_controller.read cloud_controller.write');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.body.access_token.split('.').length, 3, 'a JWT');
    const orgs = await h.get('/v3/organizations', res.body.access_token);
    assert.equal(orgs.status, 200);
  });

  test('tokens carry the claims UAA puts in them, which clients such as the cf CLI read', async () => {
    const u = await h.user();
    const first = await tokenRequest(h, { grant_type: 'password', username: u.username, password: `pw-${u.username}` });
    assert.equal(first.status, 200, first.text);
    const access = decodeJwt(first.body.access_token);
    assert.equal(access.user_id, u.guid);
    assert.equal(access.sub, u.guid);
    assert.equal(access.user_name, u.username);
    assert.equal(access.email, u.username);
    assert.equal(access.origin, 'uaa');
    assert.equal(access.client_id, 'cf');
    assert.equal(access.cid, 'cf');
    assert.equal(access.azp, 'cf');
    assert.equal(access.zid, 'uaa');
    assert.equal(access.grant_type, 'password');
    assert.deepEqual(access.scope, ['openid', 'cloud_controller.read', 'cloud_controller.write']);
    assert.deepEqual(access.aud, ['openid', 'cloud_controller', 'cf']);
    assert.equal(decodeJwt(first.body.refresh_token).grant_type, 'password');
    const refreshed = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
    assert.equal(refreshed.status, 200, refreshed.text);
    const again = decodeJwt(refreshed.body.access_token);
    assert.equal(again.grant_type, 'refresh_token');
    assert.equal(again.origin, 'uaa');
    assert.equal(again.user_name, u.username);
  });

  test("the admin's token carries the admin scope and it works as one", async () => {
    const res = await tokenRequest(h, { grant_type: 'password', username: 'admin', password: h.adminPassword });
    assert.equal(res.status, 200);
    assert.equal(res.body.scope, 'openid cloud_controller.read cloud_controller.write cloud_controller.admin');
    assert.deepEqual(decodeJwt(res.body.access_token).aud, ['openid', 'cloud_controller', 'cf']);
    assert.equal((await h.post('/v3/organizations', { name: h.unique('o') }, res.body.access_token)).status, 201);
  });

  test('client credentials may come in the form instead of Basic auth', async () => {
    const res = await tokenRequest(
      h,
      { grant_type: 'password', username: 'admin', password: h.adminPassword, client_id: 'cf', client_secret: '' },
      null,
    );
    assert.equal(res.status, 200, res.text);
  });

  test('bad user credentials: 401 unauthorized, the same for an unknown user', async () => {
    const u = await h.user();
    for (const form of [
      { grant_type: 'password', username: u.username, password: 'wrong' },
      { grant_type: 'password', username: 'no-such-user', password: 'whatever' },
    ]) {
      const res = await tokenRequest(h, form);
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { error: 'unauthorized', error_description: 'Bad credentials' });
    }
  });

  test('a user made by guid has no password and cannot log in', async () => {
    const guid = randomUUID();
    await h.post('/v3/users', { guid });
    await h.db
      .updateTable('users')
      .set({ username: `byguid-${guid}` })
      .where('guid', '=', guid)
      .execute();
    const res = await tokenRequest(h, { grant_type: 'password', username: `byguid-${guid}`, password: '' });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'unauthorized');
  });

  test('a wrong client is refused before the user is looked at', async () => {
    for (const client of ['other:', 'cf:secret']) {
      const res = await tokenRequest(
        h,
        { grant_type: 'password', username: 'admin', password: h.adminPassword },
        `Basic ${Buffer.from(client).toString('base64')}`,
      );
      assert.equal(res.status, 401, client);
      assert.deepEqual(res.body, { error: 'unauthorized', error_description: 'Bad credentials' });
    }
    const formClient = await tokenRequest(
      h,
      { grant_type: 'password', username: 'admin', password: h.adminPassword, client_id: 'other' },
      null,
    );
    assert.equal(formClient.status, 401);
  });

  test('unsupported and missing grant types', async () => {
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: 'x' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type: authorization_code' });
    const missing = await tokenRequest(h, { username: 'admin', password: h.adminPassword });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, { error: 'invalid_request', error_description: 'Missing grant type' });
  });

  test('refresh_token grant issues a fresh, working access token', async () => {
    const u = await h.user();
    // The password grant's own login without the password check (tested above): a full hash each.
    const first = { body: await h.loginPair(u.username) };
    const refreshed = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.notEqual(refreshed.body.access_token, first.body.access_token);
    assert.notEqual(refreshed.body.jti, first.body.jti);
    assert.equal(refreshed.body.scope, 'openid cloud_controller.read cloud_controller.write');
    const me = await h.get(`/v3/users/${u.guid}`, refreshed.body.access_token);
    assert.equal(me.status, 200);
    assert.equal(me.body.username, u.username);
  });

  test('a refresh picks up scopes the user was given since', async () => {
    const u = await h.user();
    // The password grant's own login without the password check (tested above): a full hash each.
    const first = { body: await h.loginPair(u.username) };
    await h.db.updateTable('users').set({ scopes: 'cloud_controller.global_auditor' }).where('guid', '=', u.guid).execute();
    const refreshed = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
    assert.equal(refreshed.body.scope, 'openid cloud_controller.read cloud_controller.write cloud_controller.global_auditor');
  });

  test('invalid refresh tokens: garbage, an access token, an expired one', async () => {
    const key = await signingKey(h);
    const expired = await craftToken({ user_id: h.admin.guid, token_use: 'refresh', exp: Math.floor(Date.now() / 1000) - 60 }, key);
    for (const refresh_token of ['garbage', h.admin.token, expired]) {
      const res = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { error: 'invalid_token', error_description: 'The refresh token is invalid or expired' });
    }
  });

  test('/v3 refuses a missing token with CF-NotAuthenticated', async () => {
    cfError(await h.request('GET', '/v3/organizations'), 401, 'CF-NotAuthenticated', 10002, 'Authentication error');
  });

  test('/v3 refuses bad tokens with CF-InvalidAuthToken', async () => {
    const key = await signingKey(h);
    const now = Math.floor(Date.now() / 1000);
    const expired = await craftToken({ user_id: h.admin.guid, exp: now - 5 }, key);
    // The right kid, another key.
    const forged = await craftToken(
      { user_id: h.admin.guid, exp: now + 600 },
      { kid: key.kid, privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey },
    );
    const algNone = new UnsecuredJWT({ user_id: h.admin.guid, scope: ['cloud_controller.admin'], token_use: 'access' })
      .setIssuer('taskd')
      .setExpirationTime(now + 600)
      .encode();
    const refreshAsAccess = (await tokenRequest(h, { grant_type: 'password', username: 'admin', password: h.adminPassword })).body
      .refresh_token;
    const unknownUser = await craftToken({ user_id: randomUUID(), exp: now + 600 }, key);
    const genuine = await craftToken({ user_id: h.admin.guid, exp: now + 600 }, key);
    assert.equal((await h.get('/v3/organizations', genuine)).status, 200, 'the crafting itself is sound');
    for (const [what, authorization] of [
      ['expired', `bearer ${expired}`],
      ['forged', `bearer ${forged}`],
      ['alg none', `bearer ${algNone}`],
      ['refresh token', `bearer ${refreshAsAccess}`],
      ['unknown user', `bearer ${unknownUser}`],
      ['garbage', 'bearer not.a.jwt'],
      ['not bearer', `Basic ${Buffer.from('admin:pw').toString('base64')}`],
    ]) {
      const res = await h.request('GET', '/v3/organizations', { headers: { authorization } });
      assert.equal(res.status, 401, what);
      cfError(res, 401, 'CF-InvalidAuthToken', 1000, 'Invalid Auth Token');
    }
  });

  test('a token without cloud_controller.write may read but not write', async () => {
    const key = await signingKey(h);
    const readOnly = await signedAccessToken(key, { user_id: h.admin.guid, user_name: 'admin', scope: ['cloud_controller.read'] });
    assert.equal((await h.get('/v3/organizations', readOnly)).status, 200);
    cfError(await h.post('/v3/organizations', { name: h.unique('o') }, readOnly), 403, 'CF-NotAuthorized', 10003);
  });
});
