// POST /task/show (specs/dialects.md §3.1, §5 Dbvisit): one task by task_id, as the list shows
// it; a task the caller may not read is as unknown as one that does not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../../support/harness.js';
import { appInNewSpace, seedTask } from '../../support/tasks.js';
import { createTask, runnableApp, waitForTask } from '../../runner/helpers.js';
import {
  adminBearer,
  appId,
  assertDbvisitError,
  assertSuccess,
  bearerOf,
  dbvisit,
  listTasks,
  RFC3339_NANO,
  SEEDED_ONLY,
} from './helpers.js';

describeEachStore(
  'Dbvisit /task/show',
  (h) => {
    test('shows the task exactly as the list does', async () => {
      const { app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid, { name: 'report', created_by: h.admin.guid, started_at: '2024-05-05T05:05:05.005Z' });
      const res = await dbvisit(h, '/task/show', adminBearer(h), { params: { task_id: task.id } });
      assertSuccess(res);
      const [listed] = await listTasks(h, adminBearer(h), { configuration_id: await appId(h, app.guid) });
      assert.deepEqual(res.body.result, listed);
      assert.equal(res.body.result.task_id, task.id);
      assert.equal(res.body.result.title, 'report');
      assert.equal(res.body.result.state, 'In Progress');
      assert.equal(res.body.result.finished, '');
    });

    test('a dismissed task is still shown, as Dismissed', async () => {
      const { app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid, {
        state: 'SUCCEEDED',
        dismissed_by: h.admin.guid,
        dismissed_at: '2024-01-01T00:00:00.000Z',
      });
      const res = await dbvisit(h, '/task/show', adminBearer(h), { params: { task_id: task.id } });
      assertSuccess(res);
      assert.deepEqual([res.body.result.state, res.body.result.hidden_by, res.body.result.dismissed_by], ['Dismissed', 'admin', 'admin']);
    });

    test("another space's task is not found, worded as a missing one", async () => {
      const { space } = await appInNewSpace(h);
      const elsewhere = await appInNewSpace(h);
      const user = await h.user();
      await h.role('space_developer', user.guid, { space: space.guid });
      const hidden = await seedTask(h, elsewhere.app.guid);
      assertDbvisitError(
        await dbvisit(h, '/task/show', bearerOf(user), { params: { task_id: hidden.id } }),
        400,
        `task ${hidden.id} not found`,
      );
      assertDbvisitError(
        await dbvisit(h, '/task/show', `Bearer ${user.token}`, { params: { task_id: hidden.id } }),
        400,
        `task ${hidden.id} not found`,
      );
      assertSuccess(await dbvisit(h, '/task/show', adminBearer(h), { params: { task_id: hidden.id } }));
    });
  },
  SEEDED_ONLY,
);

describeEachStore('Dbvisit /task/show of tasks that really ran', (h) => {
  test("a task that really ran: End, its start and finish, and the runner's messages", async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, 'echo working', { name: 'real-run' });
    const done = await waitForTask(h, created.guid);
    assert.equal(done.state, 'SUCCEEDED');
    const res = await dbvisit(h, '/task/show', adminBearer(h), { params: { task_id: done.id } });
    assertSuccess(res);
    const shown = res.body.result;
    assert.equal(shown.state, 'End');
    assert.equal(shown.title, 'real-run');
    assert.equal(shown.performed_by, 'admin');
    assert.equal(shown.configuration_name, app.name);
    assert.match(shown.started, RFC3339_NANO);
    assert.match(shown.finished, RFC3339_NANO);
    assert.ok(shown.started <= shown.finished);
    assert.deepEqual(
      shown.messages.map((m: any) => m.message),
      ['started', 'exited with status 0'],
    );
    for (const m of shown.messages) assert.match(m.time, RFC3339_NANO);
  });

  test('a task that failed really: Failed, with how it ended among its messages', async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, 'exit 3');
    const done = await waitForTask(h, created.guid);
    const res = await dbvisit(h, '/task/show', adminBearer(h), { params: { task_id: done.id } });
    assertSuccess(res);
    assert.equal(res.body.result.state, 'Failed');
    assert.equal(res.body.result.messages.at(-1).message, 'exited with status 3');
  });
});
