// A second `npm start` beside a running taskd: it names the taskd that holds the data directory
// (pid, where it serves) and says how to run a second one; and its rebuild of the bundle leaves
// the running taskd's file alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TASKD_SERVER } from '../support/taskd-process.js';
import { bundleTaskd } from '../../scripts/build-server.mjs';

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TASKD_')));
// Tasks are not run here, but the runner is on: it is what holds a data directory.
const env = () => ({ ...cleanEnv(), TASKD_SANDBOX: 'none', TASKD_ADMIN_PASSWORD: 'second-start-password' });

test('a second start on the same data directory names the taskd running it, and how to run a second one', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-second-'));
  const first = spawn(process.execPath, [...TASKD_SERVER, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  first.stdout!.on('data', (d) => (out += d));
  first.stderr!.on('data', (d) => (out += d));
  try {
    for (const deadline = Date.now() + 60_000; !/^Log in: /m.test(out); await new Promise((r) => setTimeout(r, 50))) {
      if (first.exitCode !== null || Date.now() > deadline) throw new Error(`taskd did not start:\n${out}`);
    }
    const url = /serving (\S+)/.exec(out)![1]!;
    const second = () =>
      spawnSync(process.execPath, [...TASKD_SERVER, 'serve', '--port', '18080', '--data-dir', dataDir], {
        env: env(),
        encoding: 'utf8',
        timeout: 60_000,
      });

    const named = second();
    assert.equal(named.status, 1, named.stderr);
    assert.match(
      named.stderr,
      new RegExp(
        `^taskd: another taskd \\(pid ${first.pid}, serving ${url}\\) already runs the tasks of this data directory \\(${dataDir}\\)\\.$`,
        'm',
      ),
    );
    assert.match(named.stderr, new RegExp(`^Stop it first \\(Ctrl-C where it runs, or kill ${first.pid}\\)`, 'm'));
    assert.match(named.stderr, new RegExp(`TASKD_DATA_DIR=${dataDir}-2 TASKD_PORT=18081 npm start`));
    assert.ok(!named.stdout.includes('serving'));

    // Without its record (a taskd from before it kept one), its supervisor still refuses the second one.
    rmSync(path.join(dataDir, 'run', 'serving.json'));
    const refused = second();
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /^taskd: another taskd already runs the tasks of this data directory/m);
    assert.match(refused.stderr, /TASKD_DATA_DIR=\S+-2 TASKD_PORT=18081 npm start/);

    const res = await fetch(`${url}/v3/info`);
    assert.equal(res.status, 200, 'the first one serves on');
  } finally {
    first.kill('SIGTERM');
    await new Promise((r) => first.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("npm start's rebuild leaves an unchanged bundle untouched, and replaces a changed one by a rename, never in place", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-bundle-'));
  const outfile = path.join(dir, 'taskd.mjs');
  try {
    await bundleTaskd(path.resolve('.'), outfile);
    const built = statSync(outfile);
    await bundleTaskd(path.resolve('.'), outfile);
    const again = statSync(outfile);
    assert.equal(again.ino, built.ino);
    assert.equal(again.mtimeMs, built.mtimeMs, 'the same bundle is not written again');

    // As if the sources had changed since a running taskd loaded this file.
    writeFileSync(outfile, 'the bundle a running taskd loaded\n');
    const running = statSync(outfile);
    await bundleTaskd(path.resolve('.'), outfile);
    const replaced = statSync(outfile);
    assert.notEqual(replaced.ino, running.ino, 'a new file, renamed into place');
    assert.match(readFileSync(outfile, 'utf8'), /sourceMappingURL=taskd\.mjs\.map/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
