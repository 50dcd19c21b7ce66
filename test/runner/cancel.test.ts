// Cancelling a running task: SIGTERM to its whole process group, SIGKILL after the grace, and the
// task ends FAILED "task was cancelled". Also cancels and deletions made on another node (seen
// only in the store), and what closing taskd does to tasks still running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore, Harness } from '../support/harness.js';
import { openStore } from '../../src/store/database.js';
import { groupAlive, createTask, eventually, outputOf, runnableApp, shellPidOf, taskRow, waitForTask } from './helpers.js';

async function cancel(h: Harness, guid: string): Promise<void> {
  const res = await h.post(`/v3/tasks/${guid}/actions/cancel`, {});
  assert.equal(res.status, 202, res.text);
  assert.equal(res.body.state, 'CANCELING');
}

describeEachStore(
  'cancelling tasks',
  (h) => {
    test('a sleeping task is stopped and ends FAILED "task was cancelled", its whole group gone', async () => {
      const { app } = await runnableApp(h);
      // A child in the background and one in the foreground: both belong to the group.
      const created = await createTask(h, app.guid, 'echo $$; sleep 300 & sleep 300');
      const pid = await shellPidOf(h, created.guid);
      assert.ok(groupAlive(pid));
      await cancel(h, created.guid);
      const done = await waitForTask(h, created.guid);
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'task was cancelled');
      assert.ok(done.finished_at);
      await eventually('the process group is gone', () => !groupAlive(pid));
    });

    test('a task that ignores SIGTERM is killed after the grace period', async () => {
      const { app } = await runnableApp(h);
      const created = await createTask(h, app.guid, `trap 'echo got TERM' TERM; echo $$; while true; do sleep 1 & wait $!; done`);
      const pid = await shellPidOf(h, created.guid);
      await cancel(h, created.guid);
      const done = await waitForTask(h, created.guid);
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'task was cancelled');
      // It saw SIGTERM and carried on; only SIGKILL ended it.
      assert.ok((await outputOf(h, done.id)).some((l) => l.text === 'got TERM'));
      await eventually('the process group is gone', () => !groupAlive(pid));
    });

    test('a cancel committed on another node (no signal here) is noticed by polling', async () => {
      const { app } = await runnableApp(h);
      const created = await createTask(h, app.guid, 'echo $$; sleep 300');
      const pid = await shellPidOf(h, created.guid);
      await h.db.updateTable('tasks').set({ state: 'CANCELING' }).where('guid', '=', created.guid).execute();
      const done = await waitForTask(h, created.guid);
      assert.equal(done.failure_reason, 'task was cancelled');
      await eventually('the process group is gone', () => !groupAlive(pid));
    });

    test('a task whose row is deleted while it runs is killed, and no output of it is left', async () => {
      const { app } = await runnableApp(h);
      const created = await createTask(h, app.guid, 'echo $$; while true; do echo tick; sleep 0.05; done');
      const pid = await shellPidOf(h, created.guid);
      const row = (await taskRow(h, created.guid))!;
      await h.db.deleteFrom('tasks').where('id', '=', row.id).execute();
      await eventually('the process group is gone', () => !groupAlive(pid));
      await eventually('its output is removed', async () => (await outputOf(h, row.id)).length === 0);
    });
  },
  { cancelGraceSeconds: 1 },
);

describeEachStore('closing taskd', (h) => {
  test('stops the tasks it runs and records that taskd stopped them, and with which signal', async () => {
    const other = new Harness(h.kind, { cancelGraceSeconds: 1 });
    await other.start();
    try {
      const { app } = await runnableApp(other);
      const created = await createTask(other, app.guid, 'echo $$; sleep 300');
      const stubborn = await createTask(other, app.guid, `trap '' TERM; echo $$; sleep 300`);
      const pids = [await shellPidOf(other, created.guid), await shellPidOf(other, stubborn.guid)];
      await other.taskd.close();
      for (const pid of pids) assert.equal(groupAlive(pid), false, `process group ${pid} survived close`);
      const { config, store } = other.taskd.ctx;
      const reopened = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, pgSchema: store.pgSchema });
      try {
        const rows = await reopened.db
          .selectFrom('tasks')
          .select(['id', 'guid', 'state', 'failure_reason', 'exit_status'])
          .where('guid', 'in', [created.guid, stubborn.guid])
          .execute();
        const byGuid = new Map(rows.map((r) => [r.guid, r]));
        // Not "Killed by signal SIGTERM", as if something else on the host had killed them; the
        // exit status still tells SIGTERM (143) from the SIGKILL after the grace (137).
        const shutDown = { state: 'FAILED', failure_reason: 'Stopped: taskd was shut down' };
        const { id: createdId, ...createdEnd } = byGuid.get(created.guid)!;
        assert.deepEqual(createdEnd, { guid: created.guid, ...shutDown, exit_status: 143 });
        const { id: _stubbornId, ...stubbornEnd } = byGuid.get(stubborn.guid)!;
        assert.deepEqual(stubbornEnd, { guid: stubborn.guid, ...shutDown, exit_status: 137 });
        const lastMessage = await reopened.db
          .selectFrom('task_messages')
          .select('text')
          .where('task_id', '=', createdId)
          .orderBy('seq', 'desc')
          .executeTakeFirstOrThrow();
        assert.equal(lastMessage.text, 'stopped: taskd was shut down');
        assert.equal((await reopened.db.selectFrom('runners').select('id').execute()).length, 0, 'the runner left its row behind');
      } finally {
        await reopened.close();
      }
    } finally {
      await other.stop();
    }
  });
});
