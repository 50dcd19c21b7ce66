// Several taskd nodes on one PostgreSQL: an api node (the harness, no runner) and a runner node
// (a second taskd on the same schema, with a data directory of its own, as on another host). What
// the api node is asked reaches the runner node — new tasks, cancels, pauses, the droplet's bits —
// and the api node streams the runner node's output live. Signals travel by LISTEN/NOTIFY;
// polling stays underneath.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Harness, PG_URL } from '../support/harness.js';
import { followLiveLog } from '../support/live-log.js';
import { createTaskd, type Taskd } from '../../src/taskd.js';
import { createTask, eventually, outputOf, runnableApp, taskRow, waitForTask } from './helpers.js';

const skip = PG_URL ? false : 'TASKD_TEST_PG_URL is not set: no PostgreSQL to run several nodes on';
if (skip) console.log(`# several-node tests skipped: ${skip}`);

describe('an api node and a runner node on one PostgreSQL', { skip }, () => {
  const h = new Harness('postgres', { role: 'api', cancelGraceSeconds: 2 });
  let runnerNode: Taskd;
  let runnerDataDir = '';
  let base = '';

  before(async () => {
    await h.start();
    const pgSchema = (h as unknown as { pgSchema: string }).pgSchema;
    runnerDataDir = mkdtempSync(path.join(tmpdir(), 'taskd-runner-'));
    runnerNode = await createTaskd(
      { ...h.config, dataDir: runnerDataDir, role: 'runner', runnerSlots: 4 },
      { store: { pgSchema, poolSize: 3 } },
    );
    await h.taskd.app.listen({ host: '127.0.0.1', port: 0 });
    const address = h.taskd.app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await runnerNode?.close();
    await h.stop();
    if (runnerDataDir) rmSync(runnerDataDir, { recursive: true, force: true });
  });

  test('a signal sent on one node is heard on the other, once', async () => {
    const heard: string[] = [];
    const offCreated = runnerNode.ctx.signals.onCreated((org) => heard.push(`created in ${org}`));
    const offCancel = runnerNode.ctx.signals.onCancelRequested((guid) => heard.push(`cancel ${guid}`));
    const ownHeard: string[] = [];
    const offOwn = h.taskd.ctx.signals.onCancelRequested((guid) => ownHeard.push(guid));
    try {
      h.taskd.ctx.signals.created(42);
      h.taskd.ctx.signals.cancelRequested('some-task');
      await eventually('the runner node heard both', () => heard.length >= 2);
      assert.deepEqual(heard, ['created in 42', 'cancel some-task']);
      assert.deepEqual(ownHeard, ['some-task'], 'the sender acts on its own signal once, not again when it comes back');
    } finally {
      offCreated();
      offCancel();
      offOwn();
    }
  });

  test('tasks created on the api node run on the runner node; cancel and pause sent to the api node take effect there', async () => {
    const { app, droplet } = await runnableApp(h);
    const done = await createTask(h, app.guid, 'echo ran; ls');
    const finished = await waitForTask(h, done.guid);
    assert.equal(finished.state, 'SUCCEEDED', finished.failure_reason ?? '');
    assert.equal(finished.runner_id, runnerNode.ctx.runner?.id);
    // The droplet was uploaded to the api node only: the runner node rebuilt it from the database.
    const uploaded = readdirSync(path.join(h.config.dataDir, 'droplets', droplet.guid)).sort();
    assert.deepEqual(readdirSync(path.join(runnerDataDir, 'droplets', droplet.guid)).sort(), uploaded);
    assert.deepEqual(
      (await outputOf(h, finished.id)).map((l) => l.text),
      ['ran', ...uploaded],
    );

    const sleeper = await createTask(h, app.guid, 'exec sleep 600');
    await waitForTask(h, sleeper.guid, (t) => t.state === 'RUNNING');
    assert.equal((await h.post(`/v3/tasks/${sleeper.guid}/actions/pause`, {})).status, 202);
    await waitForTask(h, sleeper.guid, (t) => t.state === 'PAUSED');
    assert.equal((await h.post(`/v3/tasks/${sleeper.guid}/actions/cancel`, {})).status, 202);
    const cancelled = await waitForTask(h, sleeper.guid);
    assert.equal(cancelled.failure_reason, 'task was cancelled');
  });

  test("a live log stream through the api node shows the runner node's output as it comes", async () => {
    const { app } = await runnableApp(h);
    const task = await createTask(h, app.guid, 'for i in 1 2 3 4; do echo tick-$i; sleep 0.5; done');
    const log = await followLiveLog(base, task.guid, h.admin.token, 'tick-1', async () => (await taskRow(h, task.guid))?.state);
    assert.equal(log.stateAtFirstLine, 'RUNNING', 'the first line arrived while the task still ran');
    assert.deepEqual(log.lines, ['tick-1', 'tick-2', 'tick-3', 'tick-4']);
    assert.match(log.text, /event: end\ndata: {"state":"SUCCEEDED"/);
  });

  test("a droplet's bundle is kept in the database while the droplet exists, and goes with its app", async () => {
    const { app, droplet } = await runnableApp(h);
    const partsOf = async () =>
      (
        await h.db
          .selectFrom('droplet_bundles')
          .innerJoin('droplets', 'droplets.id', 'droplet_bundles.droplet_id')
          .select('part')
          .where('droplets.guid', '=', droplet.guid)
          .execute()
      ).length;
    assert.ok((await partsOf()) > 0, 'the staged droplet has its bundle in the database');
    assert.equal((await h.delete(`/v3/apps/${app.guid}`)).status, 202);
    await eventually('the bundle is gone with the app', async () => (await partsOf()) === 0);
  });
});
