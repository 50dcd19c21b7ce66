// `taskd serve` as a user runs it: a real process, real port, real SQLite file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const bin = path.resolve('bin/taskd.js');
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TASKD_')));

test('a bad setting stops start-up with one line naming it and exit status 2', () => {
  for (const [env, args, name] of [
    [{ TASKD_PORT: 'http' }, [], 'TASKD_PORT'],
    [{}, ['--port', '-5'], '--port'],
    [{ TASKD_DATABASE_URL: 'sqlite:///x' }, [], 'TASKD_DATABASE_URL'],
    [{ TASKD_ADMIN_PASSWORD: 'short-pw' }, [], 'TASKD_ADMIN_PASSWORD is too short \\(minimum is 12 characters'],
  ] as const) {
    const res = spawnSync(process.execPath, [bin, 'serve', ...args], { env: { ...cleanEnv(), ...env }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(res.status, 2, res.stderr);
    const lines = res.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('npm warn'));
    assert.equal(lines.length, 1, res.stderr);
    assert.match(lines[0], new RegExp(`^taskd: ${name}`));
  }
});

test('a password on the command line is refused, pointing to the environment or a file', () => {
  const res = spawnSync(process.execPath, [bin, 'serve', '--admin-password', 'a-long-enough-password'], {
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(res.status, 2, res.stderr);
  assert.match(
    res.stderr,
    /^taskd: --admin-password is not taken: .*TASKD_ADMIN_PASSWORD.*--admin-password-file FILE \(TASKD_ADMIN_PASSWORD_FILE\)$/m,
  );
  assert.ok(!res.stdout.includes('serving'));
});

test('first start makes the admin user, writes its password to a 0600 file (never to stdout), and serves the API', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-serve-'));
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const started = Date.now();
    while (!/password is in (\S+)/.test(out) || !/serving (\S+)/.test(out)) {
      if (Date.now() - started > 30_000) throw new Error(`no start-up lines: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = /serving (\S+)/.exec(out)![1];
    const file = /password is in (\S+)/.exec(out)![1];
    assert.equal(file, path.join(dataDir, 'admin-password'));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const password = readFileSync(file, 'utf8').trim();
    assert.ok(password.length >= 12);
    assert.ok(!out.includes(password), 'the password is never printed');
    const tokenRes = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('cf:').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'admin', password }),
    });
    assert.equal(tokenRes.status, 200);
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const orgs = await fetch(`${url}/v3/organizations`, { headers: { authorization: `bearer ${access_token}` } });
    assert.equal(orgs.status, 200);
    assert.ok(existsSync(path.join(dataDir, 'taskd.db')));
    assert.ok(!out.includes(access_token), 'tokens are never logged');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
