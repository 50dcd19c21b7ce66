// `taskd login`, `target`, the org and space verbs, users and roles, and the session file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CliHarness, errorLines } from './cli-harness.js';

/** A port nothing listens on: one just let go of. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('taskd login, target, orgs, spaces and roles', () => {
  const cli = new CliHarness().hooks();
  const configFile = () => path.join(cli.configDir, 'taskd', 'config.json');
  const session = () => JSON.parse(readFileSync(configFile(), 'utf8'));

  test('login keeps the API, the tokens and the user in $XDG_CONFIG_HOME/taskd/config.json, readable by the user alone', async () => {
    const res = await cli.ok(['login', '-a', `${cli.url}/`, '-u', 'admin', '--password-stdin'], { input: `${cli.server.adminPassword}\n` });
    assert.match(res.stderr, /OK/);
    assert.match(res.stdout, new RegExp(`API endpoint:\\s+${cli.url}\\n`));
    const saved = session();
    assert.equal(saved.api, cli.url, 'the trailing slash is dropped');
    assert.equal(saved.username, 'admin');
    assert.ok(saved.accessToken && saved.refreshToken);
    assert.ok(!JSON.stringify(saved).includes(cli.server.adminPassword), 'the password is never kept');
    assert.equal(statSync(configFile()).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(configFile())).mode & 0o777, 0o700);
    assert.ok(!existsSync(path.join(process.cwd(), 'config.json')));
  });

  test('without XDG_CONFIG_HOME the session lives in ~/.config/taskd; what is not given is asked for on stdin', async () => {
    const res = await cli.ok(['login', '-a', cli.url], {
      input: `admin\n${cli.server.adminPassword}\n`,
      env: { XDG_CONFIG_HOME: undefined },
    });
    assert.match(res.stderr, /Username: .*Password: /s);
    const file = path.join(cli.home, '.config', 'taskd', 'config.json');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).username, 'admin');
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test("a wrong password from the environment is one try: one line with the server's reason, exit status 1, the session unchanged", async () => {
    const before = readFileSync(configFile(), 'utf8');
    const res = await cli.run(['login', '-a', cli.url, '-u', 'admin'], { env: { TASKD_PASSWORD: 'wrong-password' } });
    assert.equal(res.status, 1);
    assert.deepEqual(
      errorLines(res.stderr).filter((l) => l.startsWith('taskd:')),
      ['taskd: Credentials were rejected (Bad credentials); check the user name and the password'],
    );
    assert.equal(readFileSync(configFile(), 'utf8'), before);
  });

  test('a password typed at the prompt and rejected is asked for again, three tries in all, as cf does', async () => {
    const env = { XDG_CONFIG_HOME: path.join(cli.home, 'retries') };
    const [second, never] = await Promise.all([
      cli.run(['login', '-a', cli.url, '-u', 'admin'], { env, input: `wrong-1\n${cli.server.adminPassword}\n` }),
      cli.run(['login', '-a', cli.url, '-u', 'admin'], { env: { XDG_CONFIG_HOME: path.join(cli.home, 'never') }, input: 'a\nb\nc\nd\n' }),
    ]);
    assert.equal(second.status, 0, second.stderr);
    assert.match(
      second.stderr,
      /Password: Authenticating\.\.\.\nCredentials were rejected, please try again\.\nPassword: Authenticating\.\.\.\nOK\n/,
    );
    assert.equal(never.status, 1);
    assert.equal(never.stderr.match(/Credentials were rejected, please try again\./g)?.length, 2);
    assert.equal(errorLines(never.stderr).at(-1), 'taskd: Unable to authenticate: the credentials were rejected 3 times');
  });

  test('an API address that cannot be one says what is wrong and what to do, before any password is asked', async () => {
    const closedPort = await freePort();
    const notTaskd = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    await new Promise<void>((resolve) => notTaskd.listen(0, '127.0.0.1', resolve));
    const other = `http://127.0.0.1:${(notTaskd.address() as AddressInfo).port}`;
    const host = new URL(cli.url).host;
    try {
      const login = (api: string) => cli.run(['login', '-a', api, '-u', 'admin'], { input: 'never-read\n' });
      const [bare, v3, refused, tls, foreign] = await Promise.all([
        login(host),
        login(`${cli.url}/v3`),
        login(`http://127.0.0.1:${closedPort}`),
        login(cli.url.replace('http:', 'https:')),
        login(other),
      ]);
      const last = (res: { stderr: string }) => errorLines(res.stderr).at(-1);
      for (const res of [bare, v3, refused, tls, foreign]) {
        assert.equal(res.status, 1, res.stderr);
        assert.doesNotMatch(res.stderr, /Password:/);
      }
      assert.equal(last(bare), `taskd: '${host}' has no scheme; give the API as http://${host} (or https:// where it speaks TLS)`);
      assert.equal(last(v3), `taskd: '${cli.url}/v3' names the API's /v3; give its root: ${cli.url}`);
      assert.match(
        last(refused)!,
        /^taskd: cannot reach http:\/\/127\.0\.0\.1:\d+: nothing listens there \(connection refused\); is taskd running/,
      );
      assert.equal(
        last(tls),
        `taskd: cannot reach ${cli.url.replace('http:', 'https:')}: the server does not speak TLS there; use ${cli.url}`,
      );
      assert.equal(
        last(foreign),
        `taskd: ${other} is not a taskd API (GET / answered 404 text/html, without the API's links); check the address`,
      );
    } finally {
      notTaskd.close();
    }
  });

  test('create-org, create-space and target by names; target alone shows the target', async () => {
    await cli.ok(['create-org', 'acme']);
    await Promise.all([cli.ok(['create-space', 'dev', '-o', 'acme']), cli.ok(['create-space', 'prod', '-o', 'acme'])]);
    const shown = await cli.ok(['target', '-o', 'acme', '-s', 'prod']);
    assert.match(shown.stdout, /org:\s+acme\n/);
    assert.match(shown.stdout, /space:\s+prod\n/);
    assert.deepEqual(session().space.name, 'prod');
    const [orgs, spaces] = await Promise.all([cli.ok(['orgs']), cli.ok(['spaces', '-o', 'json'])]);
    assert.deepEqual(orgs.stdout.trim().split('\n'), ['name', 'acme']);
    assert.deepEqual(
      JSON.parse(spaces.stdout).map((s: { name: string }) => s.name),
      ['dev', 'prod'],
    );
  });

  test('a space of another org, or a missing one, is a clear error', async () => {
    const res = await cli.run(['target', '-s', 'nowhere']);
    assert.equal(res.status, 1);
    assert.deepEqual(errorLines(res.stderr), ["taskd: Space 'nowhere' not found in org 'acme'"]);
  });

  test('create-org and create-space of ones that exist say so and succeed, as cf does, so a setup script can run again', async () => {
    const [org, space] = await Promise.all([cli.run(['create-org', 'acme']), cli.run(['create-space', 'dev', '-o', 'acme'])]);
    assert.equal(org.status, 0, org.stderr);
    assert.deepEqual(errorLines(org.stderr).slice(1), ["Organization 'acme' already exists.", 'OK']);
    assert.equal(space.status, 0, space.stderr);
    assert.deepEqual(errorLines(space.stderr).slice(1), ["Space 'dev' already exists.", 'OK']);
    const orgs = await cli.ok(['orgs']);
    assert.deepEqual(orgs.stdout.trim().split('\n'), ['name', 'acme'], 'still one org');
  });

  test('apps in an empty space says there are none, as cf does, with nothing on stdout', async () => {
    const res = await cli.ok(['apps']);
    assert.equal(res.stdout, '');
    assert.equal(errorLines(res.stderr).at(-1), 'No apps found');
  });

  test('an expired access token is refreshed with the refresh token, once, and saved', async () => {
    const saved = session();
    writeFileSync(configFile(), JSON.stringify({ ...saved, accessToken: `${saved.accessToken.slice(0, -6)}AAAAAA` }));
    const res = await cli.ok(['orgs']);
    assert.match(res.stdout, /acme/);
    assert.notEqual(session().accessToken, saved.accessToken);
    writeFileSync(configFile(), JSON.stringify({ ...saved, accessToken: 'expired', refreshToken: 'revoked' }));
    const gone = await cli.run(['orgs']);
    assert.equal(gone.status, 1);
    assert.match(errorLines(gone.stderr).at(-1)!, /^taskd: the session has expired .*run `taskd login` again$/);
  });

  test('create-user and set-space-role (with the org role cf adds first) let the user work in the space', async () => {
    await cli.ok(['login', '-a', cli.url, '-u', 'admin'], { env: { TASKD_PASSWORD: cli.server.adminPassword } });
    await cli.ok(['create-user', 'dana', '--password-stdin'], { input: 'dana-password\n' });
    await cli.ok(['set-space-role', 'dana', 'acme', 'dev', 'SpaceDeveloper']);
    const [again, bad] = await Promise.all([
      cli.ok(['set-space-role', 'dana', 'acme', 'dev', 'SpaceDeveloper']),
      cli.run(['set-space-role', 'dana', 'acme', 'dev', 'Owner']),
    ]);
    assert.match(again.stderr, /OK/, 'granting a role twice is fine');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown role 'Owner'; use one of SpaceDeveloper, SpaceManager, SpaceAuditor, SpaceSupporter/);
    // As dana: the only org and space she may see are targeted at login, as cf does.
    const login = await cli.ok(['login', '-a', cli.url, '-u', 'dana', '--password-stdin'], { input: 'dana-password' });
    assert.match(login.stdout, /org:\s+acme\n/);
    assert.match(login.stdout, /space:\s+dev\n/);
    const spaces = await cli.ok(['spaces']);
    assert.deepEqual(spaces.stdout.trim().split('\n'), ['name', 'dev']);
  });

  test('verbs need a session; usage errors exit with status 2, prefixed as every failure, with the usage', async () => {
    const [res, unknown, missing, help] = await Promise.all([
      cli.run(['orgs'], { env: { XDG_CONFIG_HOME: path.join(cli.home, 'empty') } }),
      cli.run(['frobnicate']),
      cli.run(['run-task', 'hello']),
      cli.ok(['login', '--help']),
    ]);
    assert.equal(res.status, 1);
    assert.deepEqual(errorLines(res.stderr), ['taskd: not logged in; run `taskd login -a API_URL -u USER` first']);
    assert.equal(unknown.status, 2);
    assert.deepEqual(errorLines(unknown.stderr), [
      "taskd: unknown command 'frobnicate'",
      'Usage: taskd [options] [command]',
      "See 'taskd --help'.",
    ]);
    assert.equal(missing.status, 2);
    assert.deepEqual(errorLines(missing.stderr), [
      "taskd: missing required argument 'command'",
      'Usage: taskd run-task [options] <app> <command>',
      "See 'taskd run-task --help'.",
    ]);
    assert.match(help.stdout, /Examples?:\n {2}taskd login -a /);
  });

  test('--version, -v and version print the version of package.json, as cf words it', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
    const runs = await Promise.all([cli.ok(['--version']), cli.ok(['-v']), cli.ok(['version'])]);
    for (const res of runs) assert.equal(res.stdout, `taskd version ${version}\n`);
  });
});
