// `taskd serve` as a user runs it: a real process, real port, real SQLite file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const bin = path.resolve('bin/taskd.js');
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TASKD_')));

test('a bad setting stops start-up with one line naming it and exit status 2', () => {
  for (const [env, args, name] of [
    [{ TASKD_PORT: 'http' }, [], 'TASKD_PORT'],
    [{}, ['--port', '-5'], '--port'],
    [{ TASKD_DATABASE_URL: 'sqlite:///x' }, [], 'TASKD_DATABASE_URL'],
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

test('first start makes the admin user, prints its password once, and serves the API', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-serve-'));
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const started = Date.now();
    while (!/password (\S+)/.test(out) || !/serving (\S+)/.test(out)) {
      if (Date.now() - started > 30_000) throw new Error(`no start-up lines: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = /serving (\S+)/.exec(out)![1];
    const password = /password (\S+)/.exec(out)![1];
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
