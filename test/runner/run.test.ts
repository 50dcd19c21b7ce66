// Tasks really run: a shell command in its own process group, in a copy of the droplet, with
// an environment built from the app and nothing of taskd's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describeEachStore } from '../support/harness.js';
import { createTask, eventually, outputOf, runnableApp, hostWorkDir, seenWorkDir, waitForTask } from './helpers.js';

const SECRET = 'taskd-test-secret-value-7f3a';
process.env.TASKD_RUN_TEST_SECRET = SECRET;

describeEachStore('running tasks', (h) => {
  test('a command that exits 0 ends SUCCEEDED with its output stored line by line', async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, 'echo one; echo two; printf three');
    const done = await waitForTask(h, created.guid);
    assert.equal(done.state, 'SUCCEEDED');
    assert.equal(done.failure_reason, null);
    assert.equal(done.exit_status, 0);
    assert.ok(done.started_at && done.finished_at && done.started_at <= done.finished_at);
    assert.ok(done.runner_id);
    const lines = await outputOf(h, done.id);
    assert.deepEqual(lines, [
      { seq: 1, stream: 'stdout', text: 'one' },
      { seq: 2, stream: 'stdout', text: 'two' },
      { seq: 3, stream: 'stdout', text: 'three' },
    ]);
  });

  test('a non-zero exit ends FAILED "Exited with status N"', async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, 'echo oops >&2; exit 3');
    const done = await waitForTask(h, created.guid);
    assert.equal(done.state, 'FAILED');
    assert.equal(done.failure_reason, 'Exited with status 3');
    assert.equal(done.exit_status, 3);
    assert.deepEqual(await outputOf(h, done.id), [{ seq: 1, stream: 'stderr', text: 'oops' }]);
  });

  test('a task killed by a signal ends FAILED "Killed by signal SIGNAME"', async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, 'kill -9 $$');
    const done = await waitForTask(h, created.guid);
    assert.equal(done.state, 'FAILED');
    assert.equal(done.failure_reason, 'Killed by signal SIGKILL');
  });

  test('a task runs in a private copy of its droplet, removed when it ends', async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, 'pwd; ./app/run.sh; cat app/current/settings.json; echo changed > app/run.sh');
    const done = await waitForTask(h, created.guid);
    assert.equal(done.state, 'SUCCEEDED', done.failure_reason ?? '');
    const lines = (await outputOf(h, done.id)).map((l) => l.text);
    const workDir = hostWorkDir(h, created.guid);
    assert.deepEqual(lines, [seenWorkDir(h, created.guid), 'hello', '{"a":1}']);
    await eventually('the working directory is removed', () => !existsSync(workDir));
    // The task's write went to its copy: the next task still finds the droplet's file.
    const again = await waitForTask(h, (await createTask(h, app.guid, './app/run.sh')).guid);
    assert.deepEqual(
      (await outputOf(h, again.id)).map((l) => l.text),
      ['hello'],
    );
  });

  test('the environment holds the task, the app and its variables, and nothing of taskd', async () => {
    const { org, space, app } = await runnableApp(h, { GREETING: 'hi there', PATH_EXTRA: '/opt/x' });
    const created = await createTask(h, app.guid, 'env', { name: 'env-dump', memory_in_mb: 256, disk_in_mb: 512 });
    const done = await waitForTask(h, created.guid);
    assert.equal(done.state, 'SUCCEEDED', done.failure_reason ?? '');
    const env = new Map(
      (await outputOf(h, done.id)).map((l) => [l.text.slice(0, l.text.indexOf('=')), l.text.slice(l.text.indexOf('=') + 1)]),
    );
    assert.equal(env.get('TASKD_TASK_GUID'), created.guid);
    assert.equal(env.get('TASKD_TASK_NAME'), 'env-dump');
    assert.equal(env.get('GREETING'), 'hi there');
    assert.equal(env.get('PATH_EXTRA'), '/opt/x');
    const vcap = JSON.parse(env.get('VCAP_APPLICATION') ?? '{}');
    assert.equal(vcap.application_id, app.guid);
    assert.equal(vcap.application_name, app.name);
    assert.equal(vcap.space_id, space.guid);
    assert.equal(vcap.space_name, space.name);
    assert.equal(vcap.organization_id, org.guid);
    assert.equal(vcap.organization_name, org.name);
    assert.deepEqual({ mem: vcap.limits.mem, disk: vcap.limits.disk }, { mem: 256, disk: 512 });

    const everything = [...env].map(([k, v]) => `${k}=${v}`).join('\n');
    assert.ok(!everything.includes(SECRET), 'a variable of the taskd process reached the task');
    assert.ok(!everything.includes(h.adminPassword), 'the admin password reached the task');
    if (h.config.databaseUrl) assert.ok(!everything.includes(h.config.databaseUrl), 'the database URL reached the task');
    // The task's own API access (its token) is the only other taskd variable it gets.
    assert.ok(
      ![...env.keys()].some(
        (k) => k.startsWith('TASKD_') && !['TASKD_TASK_GUID', 'TASKD_TASK_NAME', 'TASKD_API', 'TASKD_TASK_TOKEN'].includes(k),
      ),
    );
    assert.match(env.get('TASKD_TASK_TOKEN') ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.ok(![...env.keys()].some((k) => k.startsWith('NODE_')), 'node settings reached the task');
  });

  test('output split across writes and streams keeps its lines, and a final partial line', async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, 'printf "a"; sleep 0.1; printf "b\\nc"; echo err >&2; sleep 0.1; printf "d"');
    const done = await waitForTask(h, created.guid);
    assert.deepEqual(await outputOf(h, done.id), [
      { seq: 1, stream: 'stdout', text: 'ab' },
      { seq: 2, stream: 'stderr', text: 'err' },
      { seq: 3, stream: 'stdout', text: 'cd' },
    ]);
  });

  test('many lines are all stored, in order', async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, 'i=1; while [ $i -le 2500 ]; do echo "line $i"; i=$((i+1)); done');
    const done = await waitForTask(h, created.guid);
    const lines = await outputOf(h, done.id);
    assert.equal(lines.length, 2500);
    assert.ok(lines.every((l, i) => l.seq === i + 1 && l.text === `line ${i + 1}`));
  });
});
