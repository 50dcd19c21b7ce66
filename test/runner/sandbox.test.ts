// Tasks in bubblewrap: what a real sandboxed task process can and cannot see — nothing of
// taskd's data directory (database, other tasks' directories), its droplet at /home/vcap/app,
// a private /tmp, a read-only system — that cancel still ends it with its whole group, that
// TASKD_TASK_NETWORK=off leaves it no network, and that TASKD_SANDBOX=none keeps the old ways.
// Skipped, with the reason printed, where bubblewrap cannot run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describeEachStore, type Harness } from '../support/harness.js';
import { probeBwrap } from '../../src/runner/sandbox/detect.js';
import { loadConfig } from '../../src/config.js';
import { createTask, eventually, groupAlive, hostWorkDir, outputOf, runnableApp, shellPidOf, waitForTask } from './helpers.js';
import { listenForTasks } from '../support/task-token.js';

const probe = probeBwrap();
const skip = probe.usable ? false : `bubblewrap is unusable here: ${probe.reason}`;
if (skip) console.log(`# sandbox tests skipped: ${skip}`);

/** Runs a task to its end; its output lines. */
async function run(h: Harness, appGuid: string, command: string): Promise<{ state: string; lines: string[] }> {
  const created = await createTask(h, appGuid, command);
  const done = await waitForTask(h, created.guid);
  return { state: done.state, lines: (await outputOf(h, done.id)).map((l) => l.text) };
}

/** Waits until a task has printed `line`. */
async function printed(h: Harness, guid: string, line: string): Promise<void> {
  await eventually(`task printed ${line}`, async () => {
    const row = await h.db.selectFrom('tasks').select('id').where('guid', '=', guid).executeTakeFirst();
    return row !== undefined && (await outputOf(h, row.id)).some((l) => l.text === line);
  });
}

describeEachStore(
  'sandboxed tasks',
  (h) => {
    listenForTasks(h);
    test('see nothing of the data directory: not the database, not the directory itself', { skip }, async () => {
      const { app } = await runnableApp(h);
      const dir = h.config.dataDir;
      const { state, lines } = await run(
        h,
        app.guid,
        [
          `test -e '${dir}' && echo data-dir-visible || echo data-dir-absent`,
          `cat '${path.join(dir, 'taskd.db')}' >/dev/null 2>&1 && echo db-read || echo db-unreadable`,
          // Nowhere in the whole view is there a database file.
          `find / -path /proc -prune -o -name 'taskd.db*' -print 2>/dev/null | head -1 | grep . || echo no-db-anywhere`,
          'ls /proc | grep -c "^[0-9]"',
        ].join('; '),
      );
      assert.equal(state, 'SUCCEEDED');
      // The host's /tmp (where the harness keeps its data directory), /root and /work are absent.
      assert.deepEqual(lines.slice(0, 3), ['data-dir-absent', 'db-unreadable', 'no-db-anywhere']);
      // Its own pid namespace: its shell, `ls`, `grep` and bwrap's init — not taskd, not the host.
      assert.ok(Number(lines[3]) <= 5, `the task sees ${lines[3]} processes`);
    });

    test("cannot read another running task's directory", { skip }, async () => {
      const { app } = await runnableApp(h);
      const other = await createTask(h, app.guid, 'echo secret > mine; echo ready; sleep 300');
      await printed(h, other.guid, 'ready');
      assert.ok(existsSync(path.join(hostWorkDir(h, other.guid), 'mine')));
      const { lines } = await run(
        h,
        app.guid,
        [
          `cat '${path.join(hostWorkDir(h, other.guid), 'mine')}' 2>/dev/null || echo unreadable`,
          'cat /home/vcap/app/mine 2>/dev/null || echo not-mine',
          'ls /home/vcap',
        ].join('; '),
      );
      assert.deepEqual(lines, ['unreadable', 'not-mine', 'app']);
      await h.post(`/v3/tasks/${other.guid}/actions/cancel`, {});
      await waitForTask(h, other.guid);
    });

    test('see their droplet at /home/vcap/app, HOME=/home/vcap, a private /tmp and a read-only system', { skip }, async () => {
      const { app } = await runnableApp(h);
      const marker = `taskd-sandbox-${process.pid}-${Date.now()}`;
      const { state, lines } = await run(
        h,
        app.guid,
        [
          'pwd',
          'echo "$HOME"',
          'echo "$TMPDIR"',
          './app/run.sh',
          `echo x > /tmp/${marker} && cat /tmp/${marker}`,
          'echo h > "$HOME/h" && cat "$HOME/h"',
          'touch /usr/taskd-x 2>/dev/null && echo usr-writable || echo usr-read-only',
          'touch /taskd-x 2>/dev/null && echo root-writable || echo root-read-only',
          'test -e /etc/shadow && test -s /etc/shadow && echo shadow-visible || echo shadow-hidden',
        ].join('; '),
      );
      assert.equal(state, 'SUCCEEDED', lines.join('\n'));
      assert.deepEqual(lines, [
        '/home/vcap/app',
        '/home/vcap',
        '/tmp',
        'hello',
        'x',
        'h',
        'usr-read-only',
        'root-read-only',
        'shadow-hidden',
      ]);
      assert.equal(existsSync(`/tmp/${marker}`), false, "the task wrote to the host's /tmp");
    });

    test("change their app's files privately: the droplet and the next task see them as staged", { skip }, async () => {
      const { app, droplet } = await runnableApp(h);
      const changed = await run(
        h,
        app.guid,
        "./app/run.sh; echo 'echo changed' > app/run.sh; ./app/run.sh; : > app/config/settings.json; rm app/run.sh; test -e app/run.sh || echo removed",
      );
      assert.equal(changed.state, 'SUCCEEDED', changed.lines.join('\n'));
      assert.deepEqual(changed.lines, ['hello', 'changed', 'removed']);
      const next = await run(h, app.guid, './app/run.sh; cat app/config/settings.json');
      assert.deepEqual(next.lines, ['hello', '{"a":1}'], 'the next task sees the droplet as staged');
      const tree = path.join(h.config.dataDir, 'droplets', droplet.guid, 'app');
      assert.equal(readFileSync(path.join(tree, 'run.sh'), 'utf8'), '#!/bin/sh\necho hello\n');
    });

    test('keep their files when their droplet is deleted while they run', { skip }, async () => {
      const { app, droplet } = await runnableApp(h);
      const created = await createTask(h, app.guid, 'echo started; sleep 2; ./app/run.sh; cat app/config/settings.json');
      await printed(h, created.guid, 'started');
      assert.equal((await h.delete(`/v3/droplets/${droplet.guid}`)).status, 202);
      const done = await waitForTask(h, created.guid);
      const lines = (await outputOf(h, done.id)).map((l) => l.text);
      assert.equal(done.state, 'SUCCEEDED', lines.join('\n'));
      assert.deepEqual(lines, ['started', 'hello', '{"a":1}']);
    });

    test('cancel ends a sandboxed task FAILED "task was cancelled", no process of it left', { skip }, async () => {
      const { app } = await runnableApp(h);
      const created = await createTask(h, app.guid, 'echo $$; sleep 300 & sleep 300');
      const pgid = await shellPidOf(h, created.guid);
      assert.ok(groupAlive(pgid));
      await h.post(`/v3/tasks/${created.guid}/actions/cancel`, {});
      const done = await waitForTask(h, created.guid);
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'task was cancelled');
      await eventually('the process group is gone', () => !groupAlive(pgid));
    });

    test('a task trapping SIGTERM gets its grace on cancel: it can clean up', { skip }, async () => {
      const { app } = await runnableApp(h);
      const created = await createTask(h, app.guid, `trap 'echo cleaning up; exit 3' TERM; echo ready; sleep 300 & wait`);
      await printed(h, created.guid, 'ready');
      await h.post(`/v3/tasks/${created.guid}/actions/cancel`, {});
      const done = await waitForTask(h, created.guid);
      assert.equal(done.failure_reason, 'task was cancelled');
      assert.ok(
        (await outputOf(h, done.id)).some((l) => l.text === 'cleaning up'),
        'the trap did not run',
      );
    });

    test('with the network on, loopback is shared: the task reaches the API', { skip }, async () => {
      const { app } = await runnableApp(h);
      const { lines } = await run(h, app.guid, 'curl -s -o /dev/null -w "%{http_code}\\n" "$TASKD_API/v3/info"');
      assert.deepEqual(lines, ['200']);
    });

    test('an app annotated taskd.io/task-network: off runs its tasks without network; other apps keep it', { skip }, async () => {
      const { app } = await runnableApp(h);
      const { app: other } = await runnableApp(h);
      const res = await h.patch(`/v3/apps/${app.guid}`, { metadata: { annotations: { 'taskd.io/task-network': 'off' } } });
      assert.equal(res.status, 200, res.text);
      const probeApi = 'curl -s -m 3 -o /dev/null "$TASKD_API/v3/info"; echo "api $?"';
      assert.deepEqual((await run(h, app.guid, probeApi)).lines, ['api 7']);
      assert.deepEqual((await run(h, other.guid, probeApi)).lines, ['api 0']);
    });
  },
  { externalUrl: undefined, cancelGraceSeconds: 2 },
);

// Registered after the harness's own before hook (describeEachStore's), as task-progress does.
describeEachStore(
  'sandboxed tasks without network (TASKD_TASK_NETWORK=off)',
  (h) => {
    listenForTasks(h);
    test("cannot connect to taskd's API nor to 127.0.0.1:5432", { skip }, async () => {
      const { app } = await runnableApp(h);
      const address = h.taskd.app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const { lines } = await run(
        h,
        app.guid,
        [
          `curl -s -m 3 -o /dev/null http://127.0.0.1:${port}/v3/info; echo "api $?"`,
          'curl -s -m 3 -o /dev/null http://127.0.0.1:5432/; echo "pg $?"',
        ].join('; '),
      );
      // curl's 7: could not connect (there is no loopback service in the task's own namespace).
      assert.deepEqual(lines, ['api 7', 'pg 7']);
      const info = await h.get('/v3/info');
      assert.equal(info.body.taskd.task_network, 'off');
    });
  },
  { externalUrl: undefined, taskNetwork: 'off' },
);

describeEachStore(
  'TASKD_SANDBOX=none',
  (h) => {
    test('an app that asks for no network is told plainly that its tasks keep it without a sandbox', async () => {
      const { app } = await runnableApp(h);
      await h.patch(`/v3/apps/${app.guid}`, { metadata: { annotations: { 'taskd.io/task-network': 'off' } } });
      const created = await createTask(h, app.guid, 'true');
      await waitForTask(h, created.guid);
      const messages = await h.get(`/v3/tasks/${created.guid}/messages`);
      // Said before the task starts, so it reads in order whenever the task is looked at.
      assert.deepEqual(
        messages.body.resources.map((m: { text: string }) => m.text),
        ['the app asks for no network, but this host has no sandbox: the task has the network', 'started', 'exited with status 0'],
      );
    });

    test('runs tasks as before: in the data directory, reported unsandboxed', async () => {
      const { app } = await runnableApp(h);
      const created = await createTask(h, app.guid, 'pwd; echo "$HOME"');
      const done = await waitForTask(h, created.guid);
      const workDir = hostWorkDir(h, created.guid);
      assert.deepEqual(
        (await outputOf(h, done.id)).map((l) => l.text),
        [workDir, workDir],
      );
      const info = await h.get('/v3/info');
      assert.equal(info.body.taskd.sandbox, 'none');
      assert.equal(info.body.taskd.sandbox_reason, 'TASKD_SANDBOX=none');
    });
  },
  { sandbox: 'none' },
);

describe('sandbox settings', () => {
  test('TASKD_SANDBOX and TASKD_TASK_NETWORK take only their words; auto and on by default', () => {
    assert.deepEqual([loadConfig({ env: {} }).sandbox, loadConfig({ env: {} }).taskNetwork], ['auto', 'on']);
    assert.equal(loadConfig({ env: { TASKD_SANDBOX: 'none', TASKD_TASK_NETWORK: 'off' } }).taskNetwork, 'off');
    assert.throws(() => loadConfig({ env: { TASKD_SANDBOX: 'docker' } }), {
      name: 'Error',
      message: "TASKD_SANDBOX must be one of auto, bwrap, none, got 'docker'",
    });
    assert.throws(() => loadConfig({ env: { TASKD_TASK_NETWORK: 'no' } }), /TASKD_TASK_NETWORK must be one of on, off/);
  });

  test('TASKD_SANDBOX=bwrap loads where bubblewrap works', { skip }, () => {
    assert.equal(loadConfig({ env: { TASKD_SANDBOX: 'bwrap' } }).sandbox, 'bwrap');
  });
});
