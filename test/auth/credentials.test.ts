// Credentials over their life, as UAA has them: refresh tokens rotate and a reused one ends its
// login; password change and admin reset (UAA's PUT /Users/{id}/password) revoke the user's
// tokens; revocation by token id and of all a user's tokens; rehash of weaker hashes at login.
//
// Users here are fixture users (a cheap hash of older taskd's kind) and most logins are made as
// the password grant makes them but without the password check (Harness.loginPair): scrypt at
// OWASP's parameters costs ~0.5 s of CPU a hash, and these suites made a hundred. A password is
// checked for real where that is the point: a changed or reset password works and the old one
// does not, nothing changed after a refused change, and the OWASP tests at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cfError, cheapPasswordHash, describeEachStore, Harness, PG_URL, type Response } from '../support/harness.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTaskd, type Taskd } from '../../src/taskd.js';
import { loadConfig } from '../../src/config.js';
import { SCRYPT_PARAMS } from '../../src/auth/passwords.js';
import { fixtureSession } from '../api/vsphere/helpers.js';
import { deleteExpiredTokenSessions } from '../../src/store/credentials.js';

const CF_CLIENT = `Basic ${Buffer.from('cf:').toString('base64')}`;

function tokenRequest(h: Harness, form: Record<string, string>): Promise<Response> {
  return h.request('POST', '/oauth/token', {
    payload: new URLSearchParams(form).toString(),
    headers: { authorization: CF_CLIENT, 'content-type': 'application/x-www-form-urlencoded' },
  });
}

interface Login {
  access_token: string;
  refresh_token: string;
  jti: string;
}

async function passwordLogin(h: Harness, username: string, password: string): Promise<Login> {
  const res = await tokenRequest(h, { grant_type: 'password', username, password });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** A login of the user as the password grant answers it, without the password check. */
const loggedIn = (h: Harness, user: { username: string }): Promise<Login> => h.loginPair(user.username);

const refresh = (h: Harness, refresh_token: string) => tokenRequest(h, { grant_type: 'refresh_token', refresh_token });

/** A user with a known password (a fixture user: its hash is cheap to check, see above). */
const userWithPassword = (h: Harness, password = 'first-password-1') => h.fixtureUser({ password });

/** Moves every login's last rotation back beyond the leeway in which a replaced refresh token still works. */
async function pastReuseLeeway(h: Harness): Promise<void> {
  const longAgo = new Date(Date.now() - 60_000).toISOString();
  await h.db.updateTable('token_sessions').set({ rotated_at: longAgo }).where('rotated_at', 'is not', null).execute();
}

const jtiOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).jti;

const works = async (h: Harness, token: string) => (await h.get('/v3/organizations', token)).status === 200;

function assertUaaError(res: Response, status: number, error: string, description: string): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { error, error_description: description });
}

const changePassword = (h: Harness, userGuid: string, body: unknown, token: string) =>
  h.request('PUT', `/Users/${userGuid}/password`, { token, body });

// One taskd per store for these suites: each test makes its own users, and none needs a fresh
// taskd (a start costs a second or two on a loaded machine).
describeEachStore('credentials', (h) => {
  describe('refresh tokens rotate', () => {
    test('each refresh answers a new refresh token; the used one stops working (after a few seconds of leeway)', async () => {
      const u = await userWithPassword(h);
      const first = await loggedIn(h, u);
      const second = await refresh(h, first.refresh_token);
      assert.equal(second.status, 200, second.text);
      assert.notEqual(second.body.refresh_token, first.refresh_token);
      const third = await refresh(h, second.body.refresh_token);
      assert.equal(third.status, 200, third.text);
      assert.ok(await works(h, third.body.access_token));
      await pastReuseLeeway(h);
      assert.equal((await refresh(h, second.body.refresh_token)).status, 401, 'a used one no longer refreshes');
    });

    test('presenting a used refresh token again revokes the whole login: every token descended from it', async () => {
      const u = await userWithPassword(h);
      const login = await loggedIn(h, u);
      const rotated = (await refresh(h, login.refresh_token)).body as Login;
      assert.ok(await works(h, rotated.access_token));
      await pastReuseLeeway(h);
      // The thief (or a stale client) presents the first refresh token again.
      assertUaaError(await refresh(h, login.refresh_token), 401, 'invalid_token', 'The refresh token is invalid or expired');
      assert.equal(await works(h, rotated.access_token), false, 'the access token of the rotated pair is revoked');
      assert.equal(await works(h, login.access_token), false, "the login's first access token is revoked");
      assert.equal((await refresh(h, rotated.refresh_token)).status, 401, 'the rotated refresh token is revoked');
      // Another login of the same user is untouched.
      const other = await loggedIn(h, u);
      assert.ok(await works(h, other.access_token));
    });
  });

  describe('logins are bounded', () => {
    test('a user keeps at most 100 live logins: the oldest ends when one more begins', async () => {
      const u = await h.user();
      const first = await h.loggedIn(u.username);
      // Logins are ordered by their start, in milliseconds: the first is to be strictly the oldest.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await h.loggedIn(u.username);
      for (let i = 0; i < 98; i++) await h.loggedIn(u.username);
      assert.ok(await works(h, first.token), 'a hundred logins are kept');
      await h.loggedIn(u.username);
      assert.equal(await works(h, first.token), false, 'the oldest ended');
      assert.ok(await works(h, second.token));
      const rows = await h.db.selectFrom('token_sessions').select('id').where('user_guid', '=', u.guid).execute();
      assert.equal(rows.length, 100);
    });

    test('the expired logins of a user who never logs in again are forgotten by the hourly upkeep; live ones stay', async () => {
      const gone = await h.user();
      const live = await h.user();
      await h.loggedIn(gone.username);
      await h.loggedIn(gone.username);
      const stays = await h.loggedIn(live.username);
      const expired = await h.db
        .updateTable('token_sessions')
        .set({ expires_at: '2000-01-01T00:00:00.000Z' })
        .where('user_guid', '=', gone.guid)
        .executeTakeFirst();
      assert.ok(Number(expired.numUpdatedRows) >= 2);
      assert.equal(await deleteExpiredTokenSessions(h.db), Number(expired.numUpdatedRows));
      const left = await h.db.selectFrom('token_sessions').select('user_guid').where('user_guid', 'in', [gone.guid, live.guid]).execute();
      assert.deepEqual(new Set(left.map((r) => r.user_guid)), new Set([live.guid]));
      assert.ok(await works(h, stays.token));
    });
  });

  describe('parallel refreshes', () => {
    test('refreshes with the same token at once (a dashboard meeting an expired token in parallel) all succeed, and the login keeps one current refresh token', async () => {
      const u = await userWithPassword(h);
      const login = await loggedIn(h, u);
      const answers = await Promise.all([1, 2, 3].map(() => refresh(h, login.refresh_token)));
      for (const res of answers) assert.equal(res.status, 200, res.text);
      const ids = new Set(answers.map((res) => jtiOf(res.body.refresh_token)));
      assert.equal(ids.size, 1, 'every answer carries the same (current) refresh token id');
      for (const res of answers) assert.ok(await works(h, res.body.access_token));
      // Any of them goes on refreshing; the first one used makes the others the replaced one.
      assert.equal((await refresh(h, answers[2]!.body.refresh_token)).status, 200);
    });
  });

  describe('password change and reset (UAA PUT /Users/{id}/password)', () => {
    test("a user changes their own password with the old one: UAA's answer, and every token they held stops working", async () => {
      const u = await userWithPassword(h);
      const a = await loggedIn(h, u);
      const b = await loggedIn(h, u);
      const res = await changePassword(h, u.guid, { oldPassword: u.password, password: 'second-password-2' }, a.access_token);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { status: 'ok', message: 'password updated' });
      for (const login of [a, b]) {
        assert.equal(await works(h, login.access_token), false, 'access token revoked');
        assert.equal((await refresh(h, login.refresh_token)).status, 401, 'refresh token revoked');
      }
      assert.equal((await tokenRequest(h, { grant_type: 'password', username: u.username, password: u.password })).status, 401);
      const fresh = await passwordLogin(h, u.username, 'second-password-2');
      assert.ok(await works(h, fresh.access_token));
    });

    test('refusals in UAA words: old password wrong or missing, the same password, the policy, another user', async () => {
      const u = await userWithPassword(h);
      const other = await userWithPassword(h);
      const { access_token: token } = await loggedIn(h, u);
      assertUaaError(
        await changePassword(h, u.guid, { oldPassword: 'not-the-password', password: 'another-password-3' }, token),
        401,
        'unauthorized',
        'Old password is incorrect',
      );
      assertUaaError(
        await changePassword(h, u.guid, { password: 'another-password-3' }, token),
        422,
        'invalid_password',
        'Previous password is required',
      );
      assertUaaError(
        await changePassword(h, u.guid, { oldPassword: u.password, password: u.password }, token),
        422,
        'invalid_password',
        'Your new password cannot be the same as the old password.',
      );
      assertUaaError(
        await changePassword(h, u.guid, { oldPassword: u.password, password: 'short' }, token),
        422,
        'invalid_password',
        'Password is too short (minimum is 12 characters)',
      );
      assertUaaError(
        await changePassword(h, other.guid, { oldPassword: other.password, password: 'another-password-3' }, token),
        403,
        'access_denied',
        "Not permitted to change another user's password",
      );
      assertUaaError(await changePassword(h, u.guid, { oldPassword: u.password }, token), 400, 'invalid_request', 'password is required');
      assertUaaError(
        await h.request('PUT', `/Users/${u.guid}/password`, { body: { password: 'another-password-3' } }),
        401,
        'unauthorized',
        'Full authentication is required to access this resource',
      );
      assert.ok(await works(h, token), 'nothing was changed: the token still works');
      await passwordLogin(h, u.username, u.password);
    });

    test("an admin resets another user's password without the old one; the user's tokens stop working", async () => {
      const u = await userWithPassword(h);
      const login = await loggedIn(h, u);
      const res = await changePassword(h, u.guid, { password: 'reset-by-admin-1' }, h.admin.token);
      assert.equal(res.status, 200, res.text);
      assert.equal(await works(h, login.access_token), false);
      await passwordLogin(h, u.username, 'reset-by-admin-1');
      assert.ok(await works(h, h.admin.token), "the admin's own token is untouched");
      assertUaaError(
        await changePassword(h, h.admin.guid, { password: 'reset-by-admin-1' }, h.admin.token),
        422,
        'invalid_password',
        'Previous password is required even for admin',
      );
      assertUaaError(
        await changePassword(h, randomUUID(), { password: 'reset-by-admin-1' }, h.admin.token),
        401,
        'unauthorized',
        'Invalid password change request',
      );
    });
  });

  describe('token revocation (UAA /oauth/token/revoke)', () => {
    test('DELETE /oauth/token/revoke/{jti} ends that login only; its refresh token too', async () => {
      const u = await userWithPassword(h);
      const a = await loggedIn(h, u);
      const b = await loggedIn(h, u);
      const res = await h.request('DELETE', `/oauth/token/revoke/${a.jti}`, { token: b.access_token });
      assert.equal(res.status, 200, res.text);
      assert.equal(await works(h, a.access_token), false);
      assert.equal((await refresh(h, a.refresh_token)).status, 401);
      assert.ok(await works(h, b.access_token), 'the other login is untouched');
    });

    test("another user's token id is not found; an admin may revoke anyone's", async () => {
      const u = await userWithPassword(h);
      const v = await userWithPassword(h);
      const login = await loggedIn(h, u);
      const stranger = await loggedIn(h, v);
      assertUaaError(
        await h.request('DELETE', `/oauth/token/revoke/${login.jti}`, { token: stranger.access_token }),
        404,
        'invalid_token',
        'Resource not found',
      );
      assert.ok(await works(h, login.access_token));
      assert.equal((await h.request('DELETE', `/oauth/token/revoke/${login.jti}`, { token: h.admin.token })).status, 200);
      assert.equal(await works(h, login.access_token), false);
      assertUaaError(
        await h.request('DELETE', `/oauth/token/revoke/${randomUUID()}`, { token: h.admin.token }),
        404,
        'invalid_token',
        'Resource not found',
      );
    });

    test('GET /oauth/token/revoke/user/{id} revokes every token of the user: self, or an admin for anyone', async () => {
      const u = await userWithPassword(h);
      const v = await userWithPassword(h);
      const a = await loggedIn(h, u);
      const b = await loggedIn(h, u);
      const stranger = await loggedIn(h, v);
      assertUaaError(
        await h.request('GET', `/oauth/token/revoke/user/${u.guid}`, { token: stranger.access_token }),
        403,
        'access_denied',
        'Access is denied',
      );
      assert.equal((await h.request('GET', `/oauth/token/revoke/user/${u.guid}`, { token: a.access_token })).status, 200);
      for (const login of [a, b]) {
        assert.equal(await works(h, login.access_token), false);
        assert.equal((await refresh(h, login.refresh_token)).status, 401);
      }
      assert.ok(await works(h, stranger.access_token));
      assert.equal((await h.request('GET', `/oauth/token/revoke/user/${v.guid}`, { token: h.admin.token })).status, 200);
      assert.equal(await works(h, stranger.access_token), false);
      assertUaaError(
        await h.request('GET', `/oauth/token/revoke/user/${randomUUID()}`, { token: h.admin.token }),
        404,
        'invalid_token',
        'Resource not found',
      );
      // A new login works again.
      assert.ok(await works(h, (await loggedIn(h, u)).access_token));
    });

    test('a password change ends the vSphere sessions of the user too', async () => {
      const u = await userWithPassword(h);
      const session = { 'vmware-api-session-id': await fixtureSession(h, u) };
      assert.equal((await h.request('GET', '/api/session', { headers: session })).status, 200);
      assert.equal((await changePassword(h, u.guid, { password: 'reset-by-admin-2' }, h.admin.token)).status, 200);
      assert.equal((await h.request('GET', '/api/session', { headers: session })).status, 401);
    });
  });

  describe('passwords are hashed with OWASP parameters', () => {
    test('a hash of weaker parameters is made again at the next successful login, and the password still works', async () => {
      const username = h.unique('legacy');
      const now = new Date().toISOString();
      const weak = cheapPasswordHash('legacy-password-1');
      await h.db
        .insertInto('users')
        .values({ guid: randomUUID(), username, origin: 'uaa', password_hash: weak, scopes: '', created_at: now, updated_at: now })
        .execute();
      assert.equal((await tokenRequest(h, { grant_type: 'password', username, password: 'wrong-password-1' })).status, 401);
      const stored = async () =>
        (await h.db.selectFrom('users').select('password_hash').where('username', '=', username).executeTakeFirstOrThrow()).password_hash!;
      assert.equal(await stored(), weak, 'a failed login changes nothing');
      await passwordLogin(h, username, 'legacy-password-1');
      const [scheme, n, r, p] = (await stored()).split('$');
      assert.deepEqual([scheme, Number(n), Number(r), Number(p)], ['scrypt', SCRYPT_PARAMS.N, SCRYPT_PARAMS.r, SCRYPT_PARAMS.p]);
      assert.equal(SCRYPT_PARAMS.N, 2 ** 17);
      await passwordLogin(h, username, 'legacy-password-1');
    });

    test('new users get OWASP parameters (N=2^17, r=8, p=1)', async () => {
      const res = await h.post('/v3/users', { username: h.unique('owasp'), password: 'first-password-1' });
      assert.equal(res.status, 201, res.text);
      const row = await h.db.selectFrom('users').select('password_hash').where('guid', '=', res.body.guid).executeTakeFirstOrThrow();
      assert.match(row.password_hash!, /^scrypt\$131072\$8\$1\$/);
    });
  });
});

// The harness makes its admin with a cheap hash before taskd starts (see makeAdminCheaply): the
// admin that taskd itself makes at first start, from the password it is given, is checked here.
test('the admin made at first start from the given password gets OWASP parameters (N=2^17, r=8, p=1)', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-admin-'));
  const taskd = await createTaskd({ ...loadConfig({ env: {} }), dataDir, adminPassword: 'admin-first-password', runnerSlots: 0 });
  try {
    const row = await taskd.ctx.store.db
      .selectFrom('users')
      .select('password_hash')
      .where('username', '=', 'admin')
      .executeTakeFirstOrThrow();
    assert.match(row.password_hash!, /^scrypt\$131072\$8\$1\$/);
  } finally {
    await taskd.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// Two nodes on one store: a revocation on one holds on the other at once, even for a token the
// other has verified (and cached) before.
for (const kind of ['sqlite', 'postgres'] as const) {
  const skip = kind === 'postgres' && !PG_URL ? 'TASKD_TEST_PG_URL is not set' : false;
  describe(`revocation across nodes [${kind}]`, { skip }, () => {
    const h = new Harness(kind, { runnerSlots: 0 });
    let other: Taskd;
    before(async () => {
      await h.start();
      const pgSchema = (h as unknown as { pgSchema?: string }).pgSchema;
      other = await createTaskd({ ...h.config, role: 'api' }, { store: { pgSchema, poolSize: 2 } });
    });
    after(async () => {
      await other?.close();
      await h.stop();
    });

    const onOther = async (token: string) =>
      (await other.app.inject({ method: 'GET', url: '/v3/organizations', headers: { authorization: `bearer ${token}` } })).statusCode;

    test('a token revoked on one node is refused by the other at once', async () => {
      const u = await userWithPassword(h);
      const login = await loggedIn(h, u);
      assert.equal(await onOther(login.access_token), 200);
      assert.equal((await h.request('DELETE', `/oauth/token/revoke/${login.jti}`, { token: login.access_token })).status, 200);
      assert.equal(await onOther(login.access_token), 401);
    });

    test('a password changed on one node revokes the tokens the other has seen', async () => {
      const u = await userWithPassword(h);
      const login = await loggedIn(h, u);
      assert.equal(await onOther(login.access_token), 200);
      assert.equal((await changePassword(h, u.guid, { password: 'changed-on-node-a' }, h.admin.token)).status, 200);
      assert.equal(await onOther(login.access_token), 401);
      cfError(await h.get('/v3/organizations', login.access_token), 401, 'CF-InvalidAuthToken', 1000);
    });
  });
}
