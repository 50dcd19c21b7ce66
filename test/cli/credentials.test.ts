// Credentials from the command line: no password as an argument, logout revoking on the server,
// passwd, admin reset-password, revoke-tokens and delete-user. Sessions that only set a test up
// are written as `taskd login` leaves them (CliHarness.sessionAs), and erin is a fixture user:
// each real login or new user costs a full scrypt hash on the server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CliHarness, errorLines } from './cli-harness.js';

describe('taskd credentials from the command line', () => {
  const cli = new CliHarness().hooks();
  const session = () => JSON.parse(readFileSync(path.join(cli.configDir, 'taskd', 'config.json'), 'utf8'));
  const asAdmin = () => cli.sessionAs('admin');
  const serverSays = async (token: string) =>
    (await fetch(`${cli.url}/v3/organizations`, { headers: { authorization: `bearer ${token}` } })).status;

  test('a password is never taken as an argument: login -p and create-user NAME PASSWORD are refused with the reason', async () => {
    const [login, create] = await Promise.all([
      cli.run(['login', '-a', cli.url, '-u', 'admin', '-p', cli.server.adminPassword]),
      cli.run(['create-user', 'bob', 'bobs-long-password']),
    ]);
    for (const res of [login, create]) {
      assert.equal(res.status, 2, res.stderr);
      assert.deepEqual(errorLines(res.stderr), [
        'taskd: a password is not taken on the command line (every local user can read it with ps, and the shell keeps it): type it at the prompt, pipe it with --password-stdin, or set TASKD_PASSWORD',
      ]);
    }
  });

  test('logout revokes the session on the server, then forgets it', async () => {
    await asAdmin();
    const { accessToken, refreshToken } = session();
    assert.equal(await serverSays(accessToken), 200);
    await cli.ok(['logout']);
    assert.equal(await serverSays(accessToken), 401, 'the access token no longer works');
    const refreshed = await fetch(`${cli.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('cf:').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    assert.equal(refreshed.status, 401, 'nor the refresh token');
    assert.deepEqual(session(), { api: cli.url });
  });

  test('passwd changes your password with the old one; the other sessions end, this one logs in again', async () => {
    await cli.server.fixtureUser({ username: 'erin', password: 'erins-first-password' });
    await cli.sessionAs('erin');
    const before = session();
    const wrong = await cli.run(['passwd'], { input: 'not-my-password\nerins-second-password\nerins-second-password\n' });
    assert.equal(wrong.status, 1);
    assert.deepEqual(errorLines(wrong.stderr).at(-1), 'taskd: Old password is incorrect');
    const changed = await cli.ok(['passwd'], { input: 'erins-first-password\nerins-second-password\nerins-second-password\n' });
    assert.match(changed.stderr, /OK/);
    assert.equal(await serverSays(before.accessToken), 401, 'the tokens from before the change are revoked');
    assert.equal((await cli.ok(['orgs'])).status, 0, 'this session goes on with the new password');
    const old = await cli.run(['login', '-a', cli.url, '-u', 'erin'], { env: { TASKD_PASSWORD: 'erins-first-password' } });
    assert.equal(old.status, 1);
  });

  test("admin reset-password sets another user's password; revoke-tokens ends every session of a user", async () => {
    await asAdmin();
    const mismatch = await cli.run(['admin', 'reset-password', 'erin'], { input: 'erins-third-password\nsomething-else-entirely\n' });
    assert.equal(mismatch.status, 1);
    // Prompts go to stderr without a line break when answered from a pipe.
    assert.match(errorLines(mismatch.stderr).at(-1)!, /taskd: the passwords typed differ; nothing was changed$/);
    await cli.ok(['admin', 'reset-password', 'erin', '--password-stdin'], { input: 'erins-third-password\n' });
    await cli.ok(['login', '-a', cli.url, '-u', 'erin', '--password-stdin'], { input: 'erins-third-password' });
    const { accessToken } = session();
    const revoked = await cli.ok(['revoke-tokens']);
    assert.match(revoked.stderr, /OK/);
    assert.equal(await serverSays(accessToken), 401);
    assert.deepEqual(session(), { api: cli.url });
  });

  test('delete-user -f deletes the user: their tokens stop working at once', async () => {
    await cli.sessionAs('erin');
    const { accessToken } = session();
    await asAdmin();
    const cancelled = await cli.ok(['delete-user', 'erin'], { input: 'n\n' });
    assert.match(cancelled.stderr, /Delete cancelled/);
    assert.equal(await serverSays(accessToken), 200);
    await cli.ok(['delete-user', 'erin', '-f']);
    assert.equal(await serverSays(accessToken), 401);
    const gone = await cli.run(['admin', 'reset-password', 'erin', '--password-stdin'], { input: 'whatever-password-1' });
    assert.deepEqual(errorLines(gone.stderr).at(-1), "taskd: User 'erin' not found");
  });
});
