// Working directories are made and removed by the task supervisor: a copy per task, gone when the
// task ends whatever it did there, and a droplet without bits fails the task without a trace.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeEachStore } from '../support/harness.js';
import { createTask, eventually, hostWorkDir, outputOf, runnableApp, waitForTask } from './helpers.js';

describeEachStore(
  'task working directories',
  (h) => {
    test('a directory the task reshaped (files added, a file made a directory) is still removed', async () => {
      const { app } = await runnableApp(h);
      const created = await createTask(
        h,
        app.guid,
        'rm app/run.sh && mkdir -p app/run.sh/deep && echo x > app/run.sh/deep/f && mkdir extra && echo y > extra/g && rm -r app/config',
      );
      const done = await waitForTask(h, created.guid);
      assert.equal(done.state, 'SUCCEEDED', done.failure_reason ?? '');
      const workDir = path.join(h.config.dataDir, 'tasks', created.guid);
      await eventually('the working directory is removed', () => !existsSync(workDir));
    });

    test('a task whose droplet has no bits fails "Unable to request task to be run" and leaves no directory', async () => {
      const { app, droplet } = await runnableApp(h);
      rmSync(path.join(h.config.dataDir, 'droplets', droplet.guid), { recursive: true, force: true });
      // On PostgreSQL the bundle kept in the database would bring the bits back: gone too.
      const { id } = await h.db.selectFrom('droplets').select('id').where('guid', '=', droplet.guid).executeTakeFirstOrThrow();
      await h.db.deleteFrom('droplet_bundles').where('droplet_id', '=', id).execute();
      const created = await createTask(h, app.guid, 'true');
      const done = await waitForTask(h, created.guid);
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'Unable to request task to be run');
      await eventually('no working directory is left', () => !existsSync(path.join(h.config.dataDir, 'tasks', created.guid)));
    });

    test('a task that prints nothing stores no output', async () => {
      const { app } = await runnableApp(h);
      const done = await waitForTask(h, (await createTask(h, app.guid, 'true')).guid);
      assert.equal(done.state, 'SUCCEEDED');
      assert.deepEqual(await outputOf(h, done.id), []);
    });

    test('many short tasks all end SUCCEEDED and leave no directories behind', async () => {
      const { app } = await runnableApp(h);
      const created = await Promise.all(Array.from({ length: 20 }, () => createTask(h, app.guid, 'true')));
      for (const task of created) assert.equal((await waitForTask(h, task.guid)).state, 'SUCCEEDED');
      await eventually('every working directory is removed', () => created.every((t) => !existsSync(hostWorkDir(h, t.guid))));
      // Filesystems of their own (as root) are emptied and kept for the next tasks, a few at most.
      const root = path.dirname(hostWorkDir(h, created[0].guid));
      const kept = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .filter((line) => line.includes(` ${root}/fs-`));
      assert.ok(kept.length <= 8, `${kept.length} task filesystems are kept (at most 8 of one size)`);
    });
  },
  { runnerSlots: 4 },
);

describeEachStore('task working directories and symlinks', (h) => {
  test('a directory the task replaced by a symlink is removed as a link: what it points to stays', async () => {
    const { app } = await runnableApp(h);
    const outside = path.join(h.config.dataDir, 'outside');
    mkdirSync(path.join(outside, 'config'), { recursive: true });
    for (const name of ['run.sh', 'run-again.sh', 'current', 'config/settings.json']) writeFileSync(path.join(outside, name), 'keep');
    const created = await createTask(h, app.guid, `rm -r app && ln -s ${outside} app`);
    const done = await waitForTask(h, created.guid);
    assert.equal(done.state, 'SUCCEEDED', done.failure_reason ?? '');
    await eventually('the working directory is removed', () => !existsSync(hostWorkDir(h, created.guid)));
    assert.deepEqual(readdirSync(outside).sort(), ['config', 'current', 'run-again.sh', 'run.sh']);
    assert.deepEqual(readdirSync(path.join(outside, 'config')), ['settings.json']);
  });
});

// A data directory too deep to hold the supervisor's socket (Unix socket paths end at 108 bytes).
const deepRoot = mkdtempSync(path.join(tmpdir(), 'taskd-deep-'));
const deepDataDir = path.join(deepRoot, 'a-data-directory-whose-path-is-far-too-long-for-a-unix-socket', 'taskd');
after(() => rmSync(deepRoot, { recursive: true, force: true }));
describeEachStore(
  'a deep data directory',
  (h) => {
    test("still runs tasks: the supervisor's socket goes to a private directory in /tmp", async () => {
      const { app } = await runnableApp(h);
      const created = await createTask(h, app.guid, 'echo deep');
      const done = await waitForTask(h, created.guid);
      assert.equal(done.state, 'SUCCEEDED', done.failure_reason ?? '');
      assert.deepEqual(
        (await outputOf(h, done.id)).map((l) => l.text),
        ['deep'],
      );
    });
  },
  { dataDir: deepDataDir },
);
