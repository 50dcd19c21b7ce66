// `taskd push`, `run-task`, `tasks`, `task`, `logs`, `terminate-task` and `progress`, end to end:
// a folder pushed as a droplet, tasks run from it by the real runner.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { tokenOf } from '../support/task-token.js';
import { CliHarness, errorLines } from './cli-harness.js';
import { droppingProxy } from './dropping-proxy.js';

/** Resolves once `done` holds (polled); a test's own timeout bounds the wait. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await sleep(50);
}

describe('taskd push, run-task, tasks, logs and terminate-task', () => {
  const cli = new CliHarness().hooks();
  let folder: string;
  let spaceGuid: string;

  before(async () => {
    // The org and space are made in-process: their verbs have their own tests (session.test.ts).
    const org = await cli.server.org('demo');
    spaceGuid = (await cli.server.space(org.guid, 'dev')).guid;
    await cli.ok(['login', '-a', cli.url, '-u', 'admin', '--password-stdin', '-o', 'demo', '-s', 'dev'], {
      input: cli.server.adminPassword,
    });
    folder = mkdtempSync(path.join(tmpdir(), 'taskd-cli-app-'));
    writeFileSync(path.join(folder, 'run.sh'), '#!/bin/sh\necho "hello from taskd"\necho "to stderr" >&2\n');
    chmodSync(path.join(folder, 'run.sh'), 0o755);
    writeFileSync(path.join(folder, 'secret.env'), 'TOKEN=do-not-ship\n');
    writeFileSync(path.join(folder, 'debug.log'), 'noise\n');
    mkdirSync(path.join(folder, 'lib'));
    writeFileSync(path.join(folder, 'lib', 'util.sh'), 'echo util\n');
    mkdirSync(path.join(folder, 'tmp'));
    writeFileSync(path.join(folder, 'tmp', 'cache'), 'x\n');
    mkdirSync(path.join(folder, '.git'));
    writeFileSync(path.join(folder, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    symlinkSync('lib/util.sh', path.join(folder, 'util-link.sh'));
    symlinkSync('/etc/passwd', path.join(folder, 'outside-link'));
    writeFileSync(path.join(folder, '.taskdignore'), '# not for the server\nsecret.env\n\n*.log\ntmp/\n');
  });

  test('push creates the app, uploads the folder without what .taskdignore names, and makes it current', async () => {
    const res = await cli.ok(['push', 'hello', folder]);
    assert.match(res.stderr, /Creating app hello/);
    assert.match(res.stderr, /Left out outside-link: a symlink that points outside/);
    assert.match(res.stderr, /OK\n$/);
    const [apps, ls] = await Promise.all([
      cli.ok(['apps']),
      cli.run(['run-task', 'hello', 'ls -A; readlink util-link.sh; ls -A lib', '--wait']),
    ]);
    assert.match(apps.stdout, /^hello\s/m);
    assert.equal(ls.status, 0, ls.stderr);
    assert.deepEqual(ls.stdout.trim().split('\n'), ['.taskdignore', 'lib', 'run.sh', 'util-link.sh', 'lib/util.sh', 'util.sh']);
  });

  test('run-task --wait streams the output to stdout and stderr and exits 0 for a task that succeeded', async () => {
    const res = await cli.run(['run-task', 'hello', './run.sh', '--name', 'greet', '--wait']);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, 'hello from taskd\n');
    assert.match(res.stderr, /task name: +greet\n/);
    assert.match(res.stderr, /to stderr\n/);
  });

  test("run-task --wait exits with the task's own exit status, with the failure reason on one line", async () => {
    const res = await cli.run(['run-task', 'hello', 'echo before; exit 3', '--name', 'three', '--wait']);
    assert.equal(res.status, 3);
    assert.equal(res.stdout, 'before\n');
    assert.equal(errorLines(res.stderr).at(-1), 'taskd: task three failed: Exited with status 3');
  });

  test('a task that times out ends the wait with status 1 and the reason', async () => {
    const res = await cli.run(['run-task', 'hello', 'sleep 30', '--timeout', '1', '--wait']);
    assert.equal(res.status, 1);
    assert.match(errorLines(res.stderr).at(-1)!, /^taskd: task \S+ failed: Task timed out after 1 seconds?$/);
  });

  test('run-task without --wait prints the name, id and guid; tasks lists them newest first', async () => {
    const res = await cli.ok(['run-task', 'hello', 'echo later', '--name', 'quick', '-m', '256M', '-l', 'team=core']);
    assert.match(res.stdout, /task name: +quick\ntask id: +\d+\ntask guid: +[0-9a-f-]{36}\n/);
    const [list, listed] = await Promise.all([cli.ok(['tasks', 'hello']), cli.ok(['tasks', 'hello', '-o', 'json'])]);
    const lines = list.stdout.trim().split('\n');
    assert.match(lines[0]!, /^id\s+name\s+state\s+start time\s+command$/);
    assert.match(lines[1]!, /^\d+\s+quick\s+(PENDING|RUNNING|SUCCEEDED)\s+\S+Z\s+echo later$/);
    assert.match(list.stdout, /^\d+\s+three\s+FAILED\s+\S+\s+echo before; exit 3$/m);
    const json = JSON.parse(listed.stdout);
    const quick = json.find((t: { name: string }) => t.name === 'quick');
    assert.equal(quick.memory_in_mb, 256);
    assert.deepEqual(quick.metadata.labels, { team: 'core' });
  });

  test('logs after the end shows every line; task shows one task by id or name', async () => {
    const many = await cli.ok(['run-task', 'hello', 'for i in $(seq 1 300); do echo line $i; done', '--name', 'many', '--wait']);
    const all = Array.from({ length: 300 }, (_, i) => `line ${i + 1}\n`).join('');
    assert.equal(many.stdout, all);
    const [logs, shown] = await Promise.all([cli.ok(['logs', 'hello', 'many']), cli.ok(['task', 'hello', 'greet'])]);
    assert.equal(logs.stdout, all);
    assert.match(shown.stdout, /state:\s+SUCCEEDED\n/);
    assert.match(shown.stdout, /command:\s+\.\/run\.sh\n/);
    const id = /^id:\s+(\d+)$/m.exec(shown.stdout)![1]!;
    assert.equal(JSON.parse((await cli.ok(['task', 'hello', id, '-o', 'json'])).stdout).name, 'greet');
  });

  test('progress reports from inside a task; pause-task, resume-task; terminate-task stops a sleeping task; logs -f ends with it', async () => {
    const started = await cli.ok(['run-task', 'hello', 'echo "$TASKD_TASK_TOKEN"; sleep 300', '--name', 'sleeper']);
    const guid = /task guid: +(\S+)/.exec(started.stdout)![1]!;
    const token = await tokenOf(cli.server, guid);
    const missing = await cli.run(['progress', '40']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^taskd: TASKD_API, TASKD_TASK_GUID, TASKD_TASK_TOKEN not set/m);
    const inTask = { env: { TASKD_API: cli.url, TASKD_TASK_GUID: guid, TASKD_TASK_TOKEN: token } };
    await Promise.all([cli.ok(['progress', '40', 'half way there'], inTask), cli.ok(['message', 'a word from the task'], inTask)]);
    const messages = (await cli.server.get(`/v3/tasks/${guid}/messages`)).body.resources.map((m: { text: string }) => m.text);
    assert.ok(messages.includes('a word from the task'), messages.join('\n'));
    await cli.ok(['pause-task', 'hello', 'sleeper']);
    const paused = (await cli.ok(['task', 'hello', 'sleeper'])).stdout;
    assert.match(paused, /progress:\s+40% half way there\n/);
    assert.match(paused, /state:\s+PAUS(ING|ED)\n/);
    const resumed = JSON.parse((await cli.ok(['resume-task', 'hello', 'sleeper', '-o', 'json'])).stdout);
    assert.equal(resumed.taskd_state, 'RUNNING');

    const following = cli.run(['logs', 'hello', guid, '-f']);
    await cli.ok(['terminate-task', 'hello', 'sleeper']);
    const followed = await following;
    assert.equal(followed.status, 1, 'a cancelled task does not end the following with success');
    assert.equal(followed.stdout.trim(), token);
    assert.equal(errorLines(followed.stderr).at(-1), 'taskd: task sleeper failed: task was cancelled');
    const shown = await cli.ok(['task', 'hello', 'sleeper']);
    assert.match(shown.stdout, /state:\s+FAILED\n/);
    assert.match(shown.stdout, /failure reason:\s+task was cancelled\n/);
  });

  test('Ctrl-C on run-task --wait says the task runs on and how to follow or stop it', async () => {
    const waiting = cli.start(['run-task', 'hello', 'sleep 300', '--name', 'left', '--wait']);
    await until(() => /task guid:/.test(waiting.output().stderr));
    waiting.child.kill('SIGINT');
    const res = await waiting.result;
    assert.equal(res.status, 130);
    const id = /task id: +(\d+)/.exec(res.stderr)![1]!;
    assert.deepEqual(errorLines(res.stderr).slice(-2), [
      'taskd: stopped following; the task is still running on the server.',
      `Follow it again with 'taskd logs hello ${id} -f', stop it with 'taskd terminate-task hello ${id}'.`,
    ]);
    assert.match((await cli.ok(['task', 'hello', id])).stdout, /state:\s+(PENDING|RUNNING)\n/);
    await cli.ok(['terminate-task', 'hello', id]);
  });

  test('run-task --wait resumes a dropped stream with Last-Event-ID: no line lost or repeated', async () => {
    const proxy = await droppingProxy(Number(new URL(cli.url).port));
    try {
      const env = { XDG_CONFIG_HOME: path.join(cli.home, 'through-proxy') };
      await cli.ok(['login', '-a', proxy.url, '-u', 'admin', '--password-stdin', '-o', 'demo', '-s', 'dev'], {
        env,
        input: cli.server.adminPassword,
      });
      const res = await cli.run(['run-task', 'hello', 'for i in 1 2 3 4 5; do echo line$i; sleep 0.2; done', '--wait'], { env });
      assert.equal(res.status, 0, res.stderr);
      assert.equal(res.stdout, 'line1\nline2\nline3\nline4\nline5\n');
      assert.deepEqual(proxy.resumedFrom.slice(0, 2), ['', '1']);
    } finally {
      await proxy.close();
    }
  });

  test('a bad command is one clear line on stderr', async () => {
    const [noApp, badSize, tooBig, noTask] = await Promise.all([
      cli.run(['run-task', 'nope', 'ls']),
      cli.run(['run-task', 'hello', 'ls', '--memory', 'lots']),
      cli.run(['run-task', 'hello', 'ls', '--disk', '100G']),
      cli.run(['terminate-task', 'hello', '9999']),
    ]);
    assert.equal(noApp.status, 1);
    assert.deepEqual(errorLines(noApp.stderr), ["taskd: App 'nope' not found in space 'dev'"]);
    assert.equal(badSize.status, 2);
    assert.deepEqual(errorLines(badSize.stderr), [
      "taskd: option '-m, --memory <size>' argument 'lots' is invalid. expected a size such as 512M or 1G.",
      'Usage: taskd run-task [options] <app> <command>',
      "See 'taskd run-task --help'.",
    ]);
    assert.equal(tooBig.status, 1);
    assert.deepEqual(
      errorLines(tooBig.stderr).filter((l) => l.startsWith('taskd:')),
      ['taskd: Cannot request disk_in_mb greater than 2048'],
    );
    assert.equal(noTask.status, 1);
    assert.deepEqual(errorLines(noTask.stderr), ["taskd: Task '9999' of app 'hello' not found"]);
  });

  test('pushing a missing folder fails clearly, before the app is created', async () => {
    const res = await cli.run(['push', 'ghost', path.join(folder, 'nope')]);
    assert.equal(res.status, 1);
    assert.deepEqual(errorLines(res.stderr), [`taskd: ${path.join(folder, 'nope')} is not a folder`]);
    const apps = await cli.ok(['apps']);
    assert.doesNotMatch(apps.stdout, /ghost/);
  });

  test('a task of an app without code says how to push it', async () => {
    await cli.server.app(spaceGuid, 'empty');
    const res = await cli.run(['run-task', 'empty', 'ls']);
    assert.equal(res.status, 1);
    assert.equal(errorLines(res.stderr).at(-1), 'taskd: app empty has no code yet; upload a folder first: taskd push empty FOLDER');
  });

  test('delete asks first, as cf does, and -f does not; a missing app is no failure', async () => {
    const app = mkdtempSync(path.join(tmpdir(), 'taskd-cli-doomed-'));
    writeFileSync(path.join(app, 'a.txt'), 'a\n');
    await cli.ok(['push', 'doomed', app]);
    const declined = await cli.ok(['delete', 'doomed'], { input: 'n\n' });
    assert.match(declined.stderr, /^Really delete the app doomed\? \[yN\]: Delete cancelled\n$/);
    assert.match((await cli.ok(['apps'])).stdout, /^doomed\s/m);
    const confirmed = await cli.ok(['delete', 'doomed'], { input: 'y\n' });
    assert.match(confirmed.stderr, /Deleting app doomed in org demo \/ space dev as admin\.\.\.\nOK\n$/);
    assert.doesNotMatch((await cli.ok(['apps'])).stdout, /doomed/);
    const again = await cli.ok(['delete', 'doomed', '-f']);
    assert.match(again.stderr, /App doomed does not exist\.\nOK\n$/);
  });
});
