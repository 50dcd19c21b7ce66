// `cf push APP --task` with the real cf CLI: the manifest, the package (zip upload), the build
// (staging with binary_buildpack) and the current droplet, then `cf run-task` in the pushed files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitForTask } from '../runner/helpers.js';
import { describeCfEachStore, type CfSuite } from './cf-harness.js';

/** An app directory: an executable script reading a data file through a symlink. */
function appDir(manifest?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-cf-push-'));
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data', 'greeting.txt'), 'hello from the pushed files\n');
  symlinkSync('data/greeting.txt', path.join(dir, 'greeting'));
  writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\ncat greeting\necho "GREETING=$GREETING"\n');
  chmodSync(path.join(dir, 'run.sh'), 0o755);
  if (manifest) writeFileSync(path.join(dir, 'manifest.yml'), manifest);
  return dir;
}

async function appByName(s: CfSuite, name: string) {
  const res = await s.server.get(`/v3/apps?names=${name}&space_guids=${s.space.guid}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.resources.length, 1, res.text);
  return res.body.resources[0];
}

/** Runs `cf run-task APP --command ./run.sh` and answers the finished task's output lines. */
async function runScript(s: CfSuite, home: string, appName: string): Promise<string[]> {
  const run = await s.ok(home, ['run-task', appName, '--command', './run.sh', '--name', 'script']);
  assert.ok(run.lines.includes('Task has been submitted successfully for execution.'), run.stdout);
  const app = await appByName(s, appName);
  const tasks = await s.server.get(`/v3/apps/${app.guid}/tasks?names=script`);
  const task = tasks.body.resources[0];
  const ended = await waitForTask(s.server, task.guid);
  assert.equal(ended.state, 'SUCCEEDED', JSON.stringify(ended));
  const log = await s.server.get(`/v3/tasks/${task.guid}/log`);
  assert.equal(log.status, 200, log.text);
  // One JSON object per line.
  return log.text
    .split('\n')
    .filter((l: string) => l !== '')
    .map((l: string) => (JSON.parse(l) as { text: string }).text);
}

describeCfEachStore('the cf CLI: cf push --task', (s) => {
  const dirs: string[] = [];
  const dir = (manifest?: string) => {
    const d = appDir(manifest);
    dirs.push(d);
    return d;
  };
  test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('cf push APP --task -p DIR -b binary_buildpack stages the files; cf run-task runs in them', async () => {
    const home = s.home();
    const push = await s.ok(home, ['push', 'pushed', '--task', '-p', dir(), '-b', 'binary_buildpack']);
    assert.ok(push.lines.includes(`Pushing app pushed to org ${s.org.name} / space ${s.space.name} as ${s.user.username}...`), push.stdout);
    assert.ok(push.lines.includes('Staging app and tracing logs...'), push.stdout);
    assert.ok(
      push.lines.some((l) => /^name:\s+pushed$/.test(l)),
      push.stdout,
    );
    assert.ok(
      push.lines.some((l) => /^requested state:\s+stopped$/.test(l)),
      push.stdout,
    );

    const app = await appByName(s, 'pushed');
    assert.deepEqual(app.lifecycle.data.buildpacks, ['binary_buildpack']);
    const droplets = await s.ok(home, ['droplets', 'pushed']);
    assert.ok(
      droplets.lines.some((l) => /\(current\)\s+staged\s/.test(l)),
      droplets.stdout,
    );

    assert.deepEqual(await runScript(s, home, 'pushed'), ['hello from the pushed files', 'GREETING=']);
  });

  test('cf push --task from a manifest: buildpacks, env, memory and disk_quota are applied', async () => {
    const home = s.home();
    const manifest = [
      'applications:',
      '- name: from-manifest',
      '  path: .',
      '  buildpacks: [binary_buildpack]',
      '  memory: 256M',
      '  disk_quota: 1G',
      '  env:',
      '    GREETING: bonjour',
      '',
    ].join('\n');
    const d = dir(manifest);
    const push = await s.ok(home, ['push', '--task', '-f', path.join(d, 'manifest.yml')]);
    assert.ok(push.lines.includes(`Applying manifest file ${path.join(d, 'manifest.yml')}...`), push.stdout);
    assert.ok(push.lines.includes('Manifest applied'), push.stdout);

    const app = await appByName(s, 'from-manifest');
    const web = await s.server.get(`/v3/apps/${app.guid}/processes/web`);
    assert.equal(web.status, 200, web.text);
    assert.equal(web.body.memory_in_mb, 256);
    assert.equal(web.body.disk_in_mb, 1024);
    assert.deepEqual(await runScript(s, home, 'from-manifest'), ['hello from the pushed files', 'GREETING=bonjour']);
  });

  test('cf push with a buildpack taskd does not have fails staging and says what it supports', async () => {
    const push = await s.cf(s.home(), ['push', 'rubyish', '--task', '-p', dir(), '-b', 'ruby_buildpack']);
    assert.equal(push.status, 1, push.stdout);
    assert.ok(push.lines.includes('FAILED'), push.stdout);
    assert.match(push.stderr, /taskd stages with binary_buildpack only/);
  });

  test('cf push without --task stages the files, then fails saying taskd runs tasks only', async () => {
    const push = await s.cf(s.home(), ['push', 'long-running', '-p', dir(), '-b', 'binary_buildpack']);
    assert.equal(push.status, 1, push.stdout);
    assert.ok(push.lines.includes('FAILED'), push.stdout);
    assert.match(push.stderr, /taskd runs tasks only, never long-running instances/);
    const app = await appByName(s, 'long-running');
    assert.equal(app.state, 'STOPPED');
  });
});
