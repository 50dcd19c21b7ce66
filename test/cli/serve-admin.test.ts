// The `admin` user across starts of `taskd serve`, as an operator meets it: a start that cannot
// listen makes no admin; a later TASKD_ADMIN_PASSWORD is said to be ignored, not silently
// dropped; --reset-admin-password sets it (or a new generated one) and ends admin's sessions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TASKD_SERVER } from '../support/taskd-process.js';

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TASKD_')));

interface Served {
  url: string;
  stdout: string;
  stderr: string;
  stop(): Promise<void>;
}

/** `taskd serve` on the data directory, until it has said how to log in (its last start-up line). */
async function serve(dataDir: string, env: Record<string, string> = {}, args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [...TASKD_SERVER, 'serve', '--port', '0', '--data-dir', dataDir, ...args], {
    env: { ...cleanEnv(), TASKD_RUNNER_SLOTS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const served = { url: '', stdout: '', stderr: '', stop: () => stopped(child) };
  child.stdout!.on('data', (d) => (served.stdout += d));
  child.stderr!.on('data', (d) => (served.stderr += d));
  for (const deadline = Date.now() + 60_000; !/^Log in: /m.test(served.stdout); await new Promise((r) => setTimeout(r, 50))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`taskd did not start:\n${served.stdout}${served.stderr}`);
  }
  served.url = /serving (\S+)/.exec(served.stdout)![1]!;
  return served;
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

async function login(url: string, password: string): Promise<{ status: number; token?: string }> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('cf:').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: 'admin', password }),
  });
  const body = (await res.json()) as { access_token?: string };
  return { status: res.status, token: body.access_token };
}

const orgsStatus = async (url: string, token: string) =>
  (await fetch(`${url}/v3/organizations`, { headers: { authorization: `bearer ${token}` } })).status;

test('a start that cannot listen makes no admin: the next start makes it and names its password file', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-serve-admin-'));
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  try {
    const port = String((busy.address() as net.AddressInfo).port);
    const refused = spawn(process.execPath, [...TASKD_SERVER, 'serve', '--port', port, '--data-dir', dataDir], {
      env: { ...cleanEnv(), TASKD_RUNNER_SLOTS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    refused.stderr!.on('data', (d) => (stderr += d));
    const status = await new Promise((r) => refused.once('exit', r));
    assert.equal(status, 1);
    assert.match(stderr, new RegExp(`cannot listen on 127.0.0.1:${port}`));
    assert.ok(!existsSync(path.join(dataDir, 'admin-password')), 'no password was generated for nobody to be told');

    const next = await serve(dataDir);
    try {
      const file = path.join(dataDir, 'admin-password');
      assert.match(next.stdout, new RegExp(`First start: created user 'admin'; its password is in ${file}`));
      assert.equal((await login(next.url, readFileSync(file, 'utf8').trim())).status, 200);
    } finally {
      await next.stop();
    }
  } finally {
    busy.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a later TASKD_ADMIN_PASSWORD is said to be ignored; --reset-admin-password applies it and ends the old sessions', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-serve-admin-'));
  const file = path.join(dataDir, 'admin-password');
  const chosen = 'change-me-please';
  try {
    const first = await serve(dataDir);
    const generated = readFileSync(file, 'utf8').trim();
    await first.stop();

    // Kept: the generated password still logs in, and the variable is said to be ignored.
    const ignored = await serve(dataDir, { TASKD_ADMIN_PASSWORD: chosen });
    let oldToken: string;
    try {
      assert.match(ignored.stderr, /TASKD_ADMIN_PASSWORD is ignored: user 'admin' exists already.*--reset-admin-password/);
      assert.doesNotMatch(ignored.stdout, /First start/);
      assert.equal((await login(ignored.url, chosen)).status, 401);
      const before = await login(ignored.url, generated);
      assert.equal(before.status, 200);
      oldToken = before.token!;
    } finally {
      await ignored.stop();
    }

    const reset = await serve(dataDir, { TASKD_ADMIN_PASSWORD: chosen }, ['--reset-admin-password']);
    try {
      assert.match(
        reset.stdout,
        /Reset user 'admin' to the password of TASKD_ADMIN_PASSWORD \(--reset-admin-password\); its earlier sessions have ended/,
      );
      assert.equal(reset.stderr.includes('ignored'), false, reset.stderr);
      assert.equal((await login(reset.url, chosen)).status, 200);
      assert.equal((await login(reset.url, generated)).status, 401);
      assert.equal(await orgsStatus(reset.url, oldToken), 401, 'a token from before the reset no longer works');
      assert.ok(!existsSync(file), 'the file of a password that no longer logs in is removed');
    } finally {
      await reset.stop();
    }

    // Without a variable, a reset generates a new password into the file, never onto stdout.
    const regenerated = await serve(dataDir, {}, ['--reset-admin-password']);
    try {
      assert.match(regenerated.stdout, new RegExp(`Reset user 'admin' to a new password, in ${file}`));
      const fresh = readFileSync(file, 'utf8').trim();
      assert.ok(!regenerated.stdout.includes(fresh) && !regenerated.stderr.includes(fresh), 'the password is never printed');
      assert.equal((await login(regenerated.url, fresh)).status, 200);
      assert.equal((await login(regenerated.url, chosen)).status, 401);
      assert.match(regenerated.stdout, new RegExp(`Log in: taskd login -a \\S+ -u admin --password-stdin < ${file}`));
    } finally {
      await regenerated.stop();
    }
    assert.match(regenerated.stdout, /taskd: SIGTERM: shutting down; no task runs here\ntaskd stopped\n/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
