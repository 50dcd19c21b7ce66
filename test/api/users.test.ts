import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cfError, describeEachStore } from '../support/harness.js';

// One taskd per store for these suites: each test makes what it needs, and none needs a fresh
// taskd (a start costs a second or two on a loaded machine).
describeEachStore('users', (h) => {
  describe('users', () => {
    test('admin creates a user with a password: CF user object, and the user can log in', async () => {
      const username = h.unique('alice');
      const res = await h.post('/v3/users', { username, password: 'secret-passphrase-1', metadata: { labels: { team: 'a' } } });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(Object.keys(res.body), [
        'guid',
        'created_at',
        'updated_at',
        'username',
        'presentation_name',
        'origin',
        'metadata',
        'links',
      ]);
      assert.match(res.body.guid, /^[0-9a-f-]{36}$/);
      assert.equal(res.body.username, username);
      assert.equal(res.body.presentation_name, username);
      assert.equal(res.body.origin, 'uaa');
      assert.deepEqual(res.body.metadata, { labels: { team: 'a' }, annotations: {} });
      assert.deepEqual(res.body.links, { self: { href: `https://api.example.org/v3/users/${res.body.guid}` } });
      assert.equal(res.text.includes('secret-passphrase-1'), false, 'the password is never echoed');
      const me = await h.login(username, 'secret-passphrase-1');
      assert.equal(me.guid, res.body.guid);
      assert.deepEqual((await h.get(`/v3/users/${res.body.guid}`, me.token)).body, res.body);
    });

    test("CF's {guid} form makes a user without username, origin or password", async () => {
      const guid = `uaa-id-${randomUUID()}`;
      const res = await h.post('/v3/users', { guid });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.guid, guid);
      assert.equal(res.body.username, null);
      assert.equal(res.body.origin, null);
      assert.equal(res.body.presentation_name, guid);
    });

    test("global scopes given at creation land in the user's tokens", async () => {
      const auditor = await h.user(['cloud_controller.global_auditor']);
      const org = await h.org();
      assert.equal((await h.get(`/v3/organizations/${org.guid}`, auditor.token)).status, 200, 'global auditors read everything');
      cfError(await h.post('/v3/organizations', { name: h.unique('o') }, auditor.token), 403, 'CF-NotAuthorized', 10003);
      const admin2 = await h.user(['cloud_controller.admin']);
      assert.equal((await h.post('/v3/organizations', { name: h.unique('o') }, admin2.token)).status, 201);
    });

    test('duplicates: guid and username', async () => {
      const guid = randomUUID();
      await h.post('/v3/users', { guid });
      cfError(await h.post('/v3/users', { guid }), 422, 'CF-UnprocessableEntity', 10008, `User with guid '${guid}' already exists.`);
      const u = await h.user();
      cfError(
        await h.post('/v3/users', { username: u.username, password: 'long-enough-password' }),
        422,
        'CF-UnprocessableEntity',
        10008,
        `User with username '${u.username}' already exists.`,
      );
      cfError(
        await h.post('/v3/users', { username: 'admin', password: 'long-enough-password' }),
        422,
        'CF-UnprocessableEntity',
        10008,
        "User with username 'admin' already exists.",
      );
    });

    test('validation messages', async () => {
      const cases: [unknown, string][] = [
        [{}, "Guid or 'username' and 'origin' must be provided"],
        [{ guid: 'g', username: 'u' }, "Username cannot be provided with 'guid'"],
        [{ guid: 'g', origin: 'uaa' }, "Origin cannot be provided with 'guid'"],
        [{ guid: 5 }, 'Guid must be a string, Guid must be between 1 and 200 characters'],
        [{ guid: '' }, 'Guid must be between 1 and 200 characters'],
        [{ guid: 'g'.repeat(201) }, 'Guid must be between 1 and 200 characters'],
        [{ origin: 'ldap' }, "Origin can only be provided together with 'username'"],
        [{ username: 'someone' }, "Password can't be blank"],
        [{ username: 'someone', password: '' }, "Password can't be blank"],
        [{ username: 'someone', password: 'long-enough-password', origin: 'ldap' }, "Origin must be 'uaa'"],
        [{ username: 7, password: 'long-enough-password' }, 'Username must be a string'],
        [{ guid: 'g', password: 'long-enough-password' }, "Password can only be given with 'username'"],
        [
          { username: 'someone', password: 'long-enough-password', scopes: ['cloud_controller.superuser'] },
          "Scopes must be a list of: 'cloud_controller.admin', 'cloud_controller.admin_read_only', 'cloud_controller.global_auditor'",
        ],
        [{ guid: 'g', nickname: 'x' }, "Unknown field(s): 'nickname'"],
      ];
      for (const [body, detail] of cases) cfError(await h.post('/v3/users', body), 422, 'CF-UnprocessableEntity', 10008, detail);
    });

    test('only admins create users', async () => {
      const org = await h.org();
      const manager = await h.user();
      await h.role('organization_manager', manager.guid, { org: org.guid });
      const readOnly = await h.user(['cloud_controller.admin_read_only']);
      for (const token of [manager.token, readOnly.token, (await h.user()).token]) {
        cfError(
          await h.post('/v3/users', { guid: randomUUID() }, token),
          403,
          'CF-NotAuthorized',
          10003,
          'You are not authorized to perform the requested action',
        );
        cfError(
          await h.post('/v3/users', { username: h.unique('x'), password: 'long-enough-password' }, token),
          403,
          'CF-NotAuthorized',
          10003,
        );
      }
    });

    test('a user sees themselves and the users sharing an organization with them', async () => {
      const org = await h.org();
      const space = await h.space(org.guid);
      const otherOrg = await h.org();
      const dev = await h.user();
      const auditor = await h.user();
      const stranger = await h.user();
      const elsewhere = await h.user();
      await h.role('space_developer', dev.guid, { space: space.guid });
      await h.role('organization_auditor', auditor.guid, { org: org.guid });
      await h.role('organization_user', elsewhere.guid, { org: otherOrg.guid });
      const all = [dev, auditor, stranger, elsewhere].map((u) => u.guid);
      const visibleTo = async (token: string) =>
        (await h.get(`/v3/users?guids=${all.join(',')}`, token)).body.resources.map((u: any) => u.guid).sort();

      assert.deepEqual(await visibleTo(dev.token), [dev.guid, auditor.guid].sort());
      assert.deepEqual(await visibleTo(auditor.token), [dev.guid, auditor.guid].sort());
      assert.deepEqual(await visibleTo(stranger.token), [stranger.guid]);
      assert.deepEqual(await visibleTo(elsewhere.token), [elsewhere.guid]);
      assert.deepEqual(await visibleTo(h.admin.token), [...all].sort());
      const globalAuditor = await h.user(['cloud_controller.global_auditor']);
      assert.deepEqual(await visibleTo(globalAuditor.token), [...all].sort());

      assert.equal((await h.get(`/v3/users/${auditor.guid}`, dev.token)).status, 200);
      assert.equal((await h.get(`/v3/users/${stranger.guid}`, stranger.token)).status, 200, 'everyone sees themselves');
      cfError(await h.get(`/v3/users/${stranger.guid}`, dev.token), 404, 'CF-ResourceNotFound', 10010, 'User not found');
      cfError(await h.get(`/v3/users/${dev.guid}`, elsewhere.token), 404, 'CF-ResourceNotFound', 10010, 'User not found');
      cfError(await h.get(`/v3/users/${randomUUID()}`), 404, 'CF-ResourceNotFound', 10010, 'User not found');
    });

    test('list filters and pagination', async () => {
      const a = await h.user();
      const b = await h.user();
      const byName = await h.get(`/v3/users?usernames=${a.username},${b.username}&per_page=1`);
      assert.equal(byName.status, 200);
      assert.equal(byName.body.pagination.total_results, 2);
      assert.equal(byName.body.pagination.total_pages, 2);
      assert.deepEqual(
        byName.body.resources.map((u: any) => u.guid),
        [a.guid],
      );
      assert.equal(
        byName.body.pagination.next.href,
        `https://api.example.org/v3/users?page=2&per_page=1&usernames=${a.username}%2C${b.username}`,
      );
      const origins = await h.get(`/v3/users?usernames=${a.username}&origins=uaa`);
      assert.deepEqual(
        origins.body.resources.map((u: any) => u.guid),
        [a.guid],
      );
      assert.deepEqual((await h.get(`/v3/users?usernames=${a.username}&origins=ldap`)).body.resources, []);
      cfError(
        await h.get('/v3/users?names=x'),
        400,
        'CF-BadQueryParameter',
        10005,
        "The query parameter is invalid: Unknown query parameter(s): 'names'. Valid parameters are: 'page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'usernames', 'origins', 'label_selector'",
      );
    });
  });
  describe('users: the password policy', () => {
    test('a password shorter than TASKD_PASSWORD_MIN_LENGTH or longer than the maximum is refused, and no user is made', async () => {
      const username = h.unique('short');
      cfError(
        await h.post('/v3/users', { username, password: 'x'.repeat(11) }),
        422,
        'CF-UnprocessableEntity',
        10008,
        'Password is too short (minimum is 12 characters)',
      );
      cfError(
        await h.post('/v3/users', { username, password: 'x'.repeat(1025) }),
        422,
        'CF-UnprocessableEntity',
        10008,
        'Password is too long (maximum is 1024 characters)',
      );
      assert.equal((await h.get(`/v3/users?usernames=${username}`)).body.pagination.total_results, 0);
      assert.equal((await h.post('/v3/users', { username, password: 'x'.repeat(12) })).status, 201);
    });

    test('characters are counted as people count them, not UTF-16 units', async () => {
      // Eleven emoji are 22 UTF-16 units but eleven characters.
      cfError(
        await h.post('/v3/users', { username: h.unique('emoji'), password: '🔑'.repeat(11) }),
        422,
        'CF-UnprocessableEntity',
        10008,
        'Password is too short (minimum is 12 characters)',
      );
    });
  });
  describe('users: delete', () => {
    test('an admin deletes a user: 202 with a completed job, and the user is gone with their roles', async () => {
      const org = await h.org();
      const u = await h.user();
      await h.role('organization_auditor', u.guid, { org: org.guid });
      const res = await h.delete(`/v3/users/${u.guid}`);
      assert.equal(res.status, 202, res.text);
      const job = await h.get(new URL(String(res.headers.location)).pathname);
      assert.equal(job.body.state, 'COMPLETE');
      assert.equal(job.body.operation, 'user.delete');
      cfError(await h.get(`/v3/users/${u.guid}`), 404, 'CF-ResourceNotFound', 10010, 'User not found');
      const roles = await h.get(`/v3/roles?user_guids=${u.guid}`);
      assert.equal(roles.body.pagination.total_results, 0);
    });

    test("a deleted user's tokens stop working at once, and they cannot log in", async () => {
      const u = await h.user();
      assert.equal((await h.get('/v3/organizations', u.token)).status, 200);
      assert.equal((await h.delete(`/v3/users/${u.guid}`)).status, 202);
      cfError(await h.get('/v3/organizations', u.token), 401, 'CF-InvalidAuthToken', 1000);
      await assert.rejects(h.login(u.username, `pw-${u.username}`), /401/);
    });

    test('only admins delete users; a user one cannot see is not found', async () => {
      const org = await h.org();
      const manager = await h.user();
      const colleague = await h.user();
      await h.role('organization_manager', manager.guid, { org: org.guid });
      await h.role('organization_user', colleague.guid, { org: org.guid });
      cfError(await h.delete(`/v3/users/${colleague.guid}`, manager.token), 403, 'CF-NotAuthorized', 10003);
      const stranger = await h.user();
      cfError(await h.delete(`/v3/users/${stranger.guid}`, colleague.token), 404, 'CF-ResourceNotFound', 10010, 'User not found');
      cfError(await h.delete(`/v3/users/${randomUUID()}`), 404, 'CF-ResourceNotFound', 10010, 'User not found');
      assert.equal((await h.get(`/v3/users/${colleague.guid}`)).status, 200, 'the refused delete deleted nothing');
    });
  });
});

describeEachStore(
  'users: a configured minimum',
  (h) => {
    test('TASKD_PASSWORD_MIN_LENGTH=20 refuses 19 characters', async () => {
      cfError(
        await h.post('/v3/users', { username: h.unique('u'), password: 'y'.repeat(19) }),
        422,
        'CF-UnprocessableEntity',
        10008,
        'Password is too short (minimum is 20 characters)',
      );
      assert.equal((await h.post('/v3/users', { username: h.unique('u'), password: 'y'.repeat(20) })).status, 201);
    });
  },
  { passwordMinLength: 20 },
);
