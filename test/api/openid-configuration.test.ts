// GET /.well-known/openid-configuration as UAA answers it, and the issuer it states: the one
// taskd's tokens carry (`<base URL>/oauth/token`), while tokens of the legacy issuer still work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { basicClient, tokenRequest } from '../support/oauth.js';
import { currentSigningKey, signedAccessToken } from '../support/signing-key.js';

const CLIENT = { clientId: 'discovery-ci', secret: 'discovery-ci-secret-0123', authorities: ['cloud_controller.read'] };
const BASE = 'https://api.example.org';

const passwordLogin = (h: Harness) => tokenRequest(h, { grant_type: 'password', username: 'admin', password: h.adminPassword });

describeEachStore(
  'OIDC discovery and the issuer',
  (h) => {
    test('the discovery document names the endpoints taskd serves, with no token needed', async () => {
      const res = await h.request('GET', '/.well-known/openid-configuration');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, {
        issuer: `${BASE}/oauth/token`,
        token_endpoint: `${BASE}/oauth/token`,
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        userinfo_endpoint: `${BASE}/userinfo`,
        jwks_uri: `${BASE}/token_keys`,
        scopes_supported: [
          'openid',
          'cloud_controller.read',
          'cloud_controller.write',
          'cloud_controller.admin',
          'cloud_controller.admin_read_only',
          'cloud_controller.global_auditor',
        ],
        response_types_supported: [],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        claim_types_supported: ['normal'],
        claims_supported: [
          'sub',
          'user_name',
          'origin',
          'iss',
          'client_id',
          'aud',
          'zid',
          'grant_type',
          'user_id',
          'azp',
          'scope',
          'exp',
          'iat',
          'jti',
          'cid',
          'email',
          'authorities',
        ],
        claims_parameter_supported: false,
        grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
      });
    });

    test('under the issuer too, where OIDC discovery looks (issuer + /.well-known/...), as UAA serves it', async () => {
      const res = await h.request('GET', '/oauth/token/.well-known/openid-configuration');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, (await h.request('GET', '/.well-known/openid-configuration')).body);
    });

    test('the endpoints it names answer: the keys at jwks_uri, a token at token_endpoint', async () => {
      const doc = (await h.request('GET', '/.well-known/openid-configuration')).body;
      const keys = await h.request('GET', new URL(doc.jwks_uri).pathname);
      assert.equal(keys.status, 200);
      assert.ok(keys.body.keys.length >= 1);
      assert.equal(new URL(doc.token_endpoint).pathname, '/oauth/token');
    });

    test('new tokens carry the issuer discovery states: user, refresh and client tokens alike', async () => {
      const { issuer } = (await h.request('GET', '/.well-known/openid-configuration')).body;
      const login = await passwordLogin(h);
      assert.equal(login.status, 200, login.text);
      assert.equal(decodeJwt(login.body.access_token).iss, issuer);
      assert.equal(decodeJwt(login.body.refresh_token).iss, issuer);
      const refreshed = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: login.body.refresh_token });
      assert.equal(decodeJwt(refreshed.body.access_token).iss, issuer);
      const client = await tokenRequest(h, { grant_type: 'client_credentials' }, basicClient(CLIENT.clientId, CLIENT.secret));
      assert.equal(decodeJwt(client.body.access_token).iss, issuer);
    });

    test('a token of the legacy issuer (taskd before this version, or an older node) is still honoured', async () => {
      const key = await currentSigningKey(h.db, h.config.dataDir);
      const legacy = await signedAccessToken(key, { user_id: h.admin.guid, user_name: 'admin', scope: ['cloud_controller.read'] });
      assert.equal(decodeJwt(legacy).iss, 'taskd');
      assert.equal((await h.get('/v3/organizations', legacy)).status, 200);
    });

    test("a token naming an issuer that is not taskd's is refused, though signed with taskd's key", async () => {
      const key = await currentSigningKey(h.db, h.config.dataDir);
      for (const issuer of ['uaa', `${BASE}/oauth/authorize`, 'ftp://api.example.org/oauth/token']) {
        const token = await signedAccessToken(key, { user_id: h.admin.guid, scope: ['cloud_controller.read'] }, issuer);
        cfError(await h.get('/v3/organizations', token), 401, 'CF-InvalidAuthToken', 1000);
      }
    });
  },
  { uaaClients: [CLIENT] },
);

describeEachStore(
  'OIDC discovery without TASKD_EXTERNAL_URL nor clients',
  (h) => {
    test('the issuer is the base URL the request reached; the token works at any name of taskd', async () => {
      const headers = { host: 'taskd.internal:8443' };
      const doc = await h.request('GET', '/.well-known/openid-configuration', { headers });
      assert.equal(doc.body.issuer, 'http://taskd.internal:8443/oauth/token');
      // No client is configured: the grant is not offered.
      assert.deepEqual(doc.body.grant_types_supported, ['password', 'refresh_token']);
      const login = await h.request('POST', '/oauth/token', {
        headers: { ...headers, authorization: basicClient('cf', ''), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: 'password', username: 'admin', password: h.adminPassword }).toString(),
      });
      assert.equal(login.status, 200, login.text);
      assert.equal(decodeJwt(login.body.access_token).iss, doc.body.issuer);
      // Verification does not depend on the Host a request names: taskd's signature decides.
      const elsewhere = await h.request('GET', '/v3/organizations', {
        token: login.body.access_token,
        headers: { host: 'another-name.example' },
      });
      assert.equal(elsewhere.status, 200);
    });
  },
  { externalUrl: undefined },
);
