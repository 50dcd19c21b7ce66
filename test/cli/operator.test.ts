// `taskd admin rotate-signing-key`: an admin makes a new token signing key through the API.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtectedHeader } from 'jose';
import { CliHarness, errorLines } from './cli-harness.js';

describe('taskd admin rotate-signing-key', () => {
  const cli = new CliHarness().hooks();

  test('an admin rotates the key: new tokens name it, the session of before keeps working', async () => {
    await cli.ok(['login', '-a', cli.url, '-u', 'admin'], { input: `${cli.server.adminPassword}\n` });
    const before = (await cli.server.request('GET', '/token_key')).body.kid as string;
    const res = await cli.ok(['admin', 'rotate-signing-key']);
    const kid = /new tokens are signed with key (\S+)/.exec(res.stderr)?.[1];
    assert.ok(kid && kid !== before, res.stderr);
    assert.equal((await cli.server.request('GET', '/token_key')).body.kid, kid);
    assert.equal(decodeProtectedHeader((await cli.server.login('admin', cli.server.adminPassword)).token).kid, kid);
    await cli.ok(['orgs']);
  });

  test("anyone else is refused with the API's reason, exit status 1", async () => {
    const user = await cli.server.user();
    await cli.ok(['login', '-a', cli.url, '-u', user.username], { input: `pw-${user.username}\n` });
    const res = await cli.run(['admin', 'rotate-signing-key']);
    assert.equal(res.status, 1);
    assert.deepEqual(errorLines(res.stderr).slice(-1), ['taskd: You are not authorized to perform the requested action']);
  });
});
