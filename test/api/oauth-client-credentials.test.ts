// POST /oauth/token with grant_type=client_credentials, for the clients an operator configures
// (TASKD_UAA_CLIENTS_FILE), as UAA answers it, and what the client's token may do afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { cfError, describeEachStore } from '../support/harness.js';
import { basicClient, tokenRequest } from '../support/oauth.js';
import { emptyCfList } from '../support/cf-lists.js';
import type { UaaClient } from '../../src/auth/uaa-clients.js';
import { runnableApp } from '../runner/helpers.js';
import { PRINT_TOKEN_AND_WAIT, tokenOf } from '../support/task-token.js';

const client = (clientId: string, authorities: string[]): UaaClient => ({ clientId, secret: `${clientId}-secret-0123456789`, authorities });

const OPERATOR = client('ci-operator', ['cloud_controller.admin']);
const AUDITOR = client('ci-auditor', ['cloud_controller.global_auditor']);
const READER = client('ci-reader', ['cloud_controller.read']);
const NOBODY = client('ci-nobody', ['uaa.none']);
/** Only for the throttle test: its failures must not slow the other tests. */
const GUESSED = client('ci-guessed', ['cloud_controller.read']);

/** client_secret_post: the client's id and secret in the form. */
const formLogin = (c: UaaClient) => ({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.secret });

describeEachStore(
  'oauth client_credentials',
  (h) => {
    async function clientToken(c: UaaClient): Promise<string> {
      const res = await tokenRequest(h, formLogin(c), null);
      assert.equal(res.status, 200, res.text);
      return res.body.access_token;
    }

    test("a configured client gets UAA's client token answer: no refresh token", async () => {
      const res = await tokenRequest(h, formLogin(OPERATOR), null);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'expires_in', 'jti', 'scope', 'token_type']);
      assert.equal(res.body.token_type, 'bearer');
      assert.equal(res.body.expires_in, h.config.accessTokenSeconds);
      assert.equal(res.body.scope, 'cloud_controller.admin');
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    test("the token's claims are UAA's for a client: the client is the subject, no user claim", async () => {
      const res = await tokenRequest(h, formLogin(OPERATOR), null);
      const claims = decodeJwt(res.body.access_token);
      assert.equal(claims.sub, OPERATOR.clientId);
      assert.equal(claims.client_id, OPERATOR.clientId);
      assert.equal(claims.cid, OPERATOR.clientId);
      assert.equal(claims.azp, OPERATOR.clientId);
      assert.deepEqual(claims.authorities, ['cloud_controller.admin']);
      assert.deepEqual(claims.scope, ['cloud_controller.admin']);
      assert.equal(claims.grant_type, 'client_credentials');
      assert.deepEqual(claims.aud, ['cloud_controller', OPERATOR.clientId]);
      assert.equal(claims.zid, 'uaa');
      assert.equal(claims.iss, 'https://api.example.org/oauth/token');
      assert.equal(claims.jti, res.body.jti);
      assert.equal(claims.exp! - claims.iat!, h.config.accessTokenSeconds);
      for (const userClaim of ['user_id', 'user_name', 'origin', 'email'])
        assert.equal(claims[userClaim], undefined, `${userClaim} in a client token`);
    });

    test('the client may authenticate with HTTP Basic as well as in the form', async () => {
      const res = await tokenRequest(h, { grant_type: 'client_credentials' }, basicClient(READER.clientId, READER.secret));
      assert.equal(res.status, 200, res.text);
      assert.equal(decodeJwt(res.body.access_token).client_id, READER.clientId);
    });

    test('a client with cloud_controller.admin acts as an admin', async () => {
      const token = await clientToken(OPERATOR);
      const made = await h.post('/v3/organizations', { name: h.unique('ci-org') }, token);
      assert.equal(made.status, 201, made.text);
      const orgs = await h.get(`/v3/organizations?guids=${made.body.guid}`, token);
      assert.equal(orgs.status, 200);
      assert.deepEqual(
        orgs.body.resources.map((o: { guid: string }) => o.guid),
        [made.body.guid],
      );
    });

    test('a client with cloud_controller.global_auditor reads everything and changes nothing', async () => {
      const org = await h.org();
      const token = await clientToken(AUDITOR);
      const orgs = await h.get(`/v3/organizations?guids=${org.guid}`, token);
      assert.equal(orgs.status, 200);
      assert.equal(orgs.body.resources.length, 1);
      cfError(await h.post('/v3/organizations', { name: h.unique('o') }, token), 403, 'CF-NotAuthorized', 10003);
    });

    test('a client without a global authority holds no role: empty lists, or 403 without cloud_controller.read', async () => {
      await h.org();
      const reader = await clientToken(READER);
      const orgs = await h.get('/v3/organizations', reader);
      assert.equal(orgs.status, 200);
      assert.deepEqual(orgs.body, emptyCfList('https://api.example.org/v3/organizations'));
      cfError(await h.post('/v3/organizations', { name: h.unique('o') }, reader), 403, 'CF-NotAuthorized', 10003);
      cfError(await h.get('/v3/organizations', await clientToken(NOBODY)), 403, 'CF-NotAuthorized', 10003);
    });

    test("a task a client created acts with the client's authorities through its own token", async () => {
      const token = await clientToken(OPERATOR);
      const { app } = await runnableApp(h);
      const created = await h.post(`/v3/apps/${app.guid}/tasks`, { command: PRINT_TOKEN_AND_WAIT }, token);
      assert.equal(created.status, 202, created.text);
      const taskToken = await tokenOf(h, created.body.guid);
      const own = await h.get(`/v3/tasks/${created.body.guid}`, taskToken);
      assert.equal(own.status, 200, own.text);
      assert.equal((await h.post(`/v3/tasks/${created.body.guid}/progress`, { percent: 40 }, taskToken)).status, 200);
      assert.equal((await h.post(`/v3/tasks/${created.body.guid}/actions/cancel`, undefined, token)).status, 202);
    });

    test('a client token is no user: /userinfo refuses it as UAA does a token without openid', async () => {
      const res = await h.get('/userinfo', await clientToken(OPERATOR));
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, { error: 'insufficient_scope', error_description: 'Insufficient scope for this resource' });
    });

    test('a wrong secret and an unknown client are the same 401 Bad credentials, in the form or as Basic', async () => {
      for (const [what, form, authorization] of [
        ['wrong secret, form', { ...formLogin(READER), client_secret: 'not-the-secret-at-all' }, null],
        ['wrong secret, Basic', { grant_type: 'client_credentials' }, basicClient(READER.clientId, 'not-the-secret-at-all')],
        ['unknown client', { ...formLogin(READER), client_id: 'no-such-client' }, null],
        ['no secret', { grant_type: 'client_credentials', client_id: READER.clientId }, null],
      ] as const) {
        const res = await tokenRequest(h, form, authorization);
        assert.equal(res.status, 401, what);
        assert.deepEqual(res.body, { error: 'unauthorized', error_description: 'Bad credentials' }, what);
      }
    });

    test("a grant the client is not authorized for: UAA's 401 invalid_client", async () => {
      const unauthorized = { error: 'invalid_client', error_description: 'Unauthorized grant type' };
      // The cf CLI's client logs users in only; a request naming no client is the cf client.
      for (const authorization of [undefined, null] as const) {
        const res = await tokenRequest(h, { grant_type: 'client_credentials' }, authorization);
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, unauthorized);
      }
      // A configured client has no user to log in, so no password or refresh grant either.
      for (const form of [
        { grant_type: 'password', username: 'admin', password: h.adminPassword } as Record<string, string>,
        { grant_type: 'refresh_token', refresh_token: 'whatever' },
      ]) {
        const res = await tokenRequest(h, form, basicClient(OPERATOR.clientId, OPERATOR.secret));
        assert.equal(res.status, 401, form.grant_type);
        assert.deepEqual(res.body, unauthorized);
      }
    });

    test("failed client logins count against the password grant's failed-login throttle", async () => {
      for (let i = 0; i < h.config.loginFreeFailures; i++) {
        const res = await tokenRequest(h, { ...formLogin(GUESSED), client_secret: `guess-${i}` }, null);
        assert.equal(res.status, 401, `guess ${i}`);
      }
      // The next attempt from this address waits, even with the right secret.
      const res = await tokenRequest(h, formLogin(GUESSED), null);
      assert.equal(res.status, 429, res.text);
      assert.equal(res.body.error, 'too_many_requests');
      assert.ok(Number(res.headers['retry-after']) >= 1);
    });
  },
  { uaaClients: [OPERATOR, AUDITOR, READER, NOBODY, GUESSED] },
);
