// Subtasks (taskd extension): a running task creates tasks in its own app with its own token and
// `parent_task_guid` naming itself; they are created as the parent's creator, under the same
// rules; cancelling a parent cancels its unfinished subtasks, theirs in turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { createTask, runnableApp, taskRow, waitForTask } from '../runner/helpers.js';
import {
  API_FUNCTION,
  listenForTasks,
  parseApiLine,
  printedLines,
  PRINT_TOKEN_AND_WAIT,
  TASK_TOKEN_CONFIG,
  tokenOf,
} from '../support/task-token.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;

/** A runnable app and a space developer of its space, who creates the tasks. */
async function developerApp(h: Harness) {
  const found = await runnableApp(h);
  const developer = await h.user();
  await h.role('space_developer', developer.guid, { space: found.space.guid });
  return { ...found, developer };
}

async function createAs(h: Harness, token: string, appGuid: string, command: string) {
  const res = await h.post(`/v3/apps/${appGuid}/tasks`, { command }, token);
  assert.equal(res.status, 202, res.text);
  return res.body;
}

/** Audit events about a task (they target its app and name the task in their data). */
function taskEvents(h: Harness, taskGuid: string) {
  return h.db.selectFrom('audit_events').select(['type', 'actor_guid']).where('data', 'like', `%${taskGuid}%`).orderBy('id').execute();
}

describeEachStore(
  'subtasks',
  (h) => {
    listenForTasks(h);

    test('a task creates a subtask with its own token, as its creator, and sees it as its child', async () => {
      const { app, developer } = await developerApp(h);
      const body = `'{"command":"sleep 300","name":"child","parent_task_guid":"'"$TASKD_TASK_GUID"'"}'`;
      const script = `${API_FUNCTION}\napi POST "/v3/apps/${app.guid}/tasks" ${body}\nsleep 300`;
      const parent = await createAs(h, developer.token, app.guid, script);
      const [line] = await printedLines(h, parent.guid, 1);
      const created = parseApiLine(line!);
      assert.equal(created.status, 202, line);
      assert.equal(created.body.parent_task_guid, parent.guid);
      assert.equal(created.body.name, 'child');
      assert.equal(created.body.sequence_id, parent.sequence_id + 1);

      const child = await taskRow(h, created.body.guid);
      assert.equal(child!.created_by, developer.guid);
      const shown = await h.get(`/v3/tasks/${created.body.guid}`, developer.token);
      assert.equal(shown.body.parent_task_guid, parent.guid);
      const events = await taskEvents(h, created.body.guid);
      assert.deepEqual(events, [{ type: 'audit.app.task.create', actor_guid: developer.guid }]);

      assert.equal((await h.post(`/v3/tasks/${parent.guid}/actions/cancel`, {}, developer.token)).status, 202);
      assert.equal((await waitForTask(h, created.body.guid)).failure_reason, 'task was cancelled');
    });

    test('cancelling a parent cancels its unfinished subtasks and theirs, not finished ones', async () => {
      const { app, developer } = await developerApp(h);
      const parent = await createAs(h, developer.token, app.guid, PRINT_TOKEN_AND_WAIT);
      const parentToken = await tokenOf(h, parent.guid);
      const spawn = async (token: string, parentGuid: string, command = PRINT_TOKEN_AND_WAIT) => {
        const res = await h.post(`/v3/apps/${app.guid}/tasks`, { command, parent_task_guid: parentGuid }, token);
        assert.equal(res.status, 202, res.text);
        return res.body;
      };
      const child = await spawn(parentToken, parent.guid);
      const finishedChild = await spawn(parentToken, parent.guid, 'true');
      assert.equal((await waitForTask(h, finishedChild.guid)).state, 'SUCCEEDED');
      const grandchild = await spawn(await tokenOf(h, child.guid), child.guid);
      await tokenOf(h, grandchild.guid);
      const unrelated = await createAs(h, developer.token, app.guid, 'sleep 300');

      const res = await h.post(`/v3/tasks/${parent.guid}/actions/cancel`, {}, developer.token);
      assert.equal(res.status, 202, res.text);
      assert.equal(res.body.state, 'CANCELING');
      for (const t of [parent, child, grandchild]) {
        const row = await waitForTask(h, t.guid);
        assert.deepEqual([row.state, row.failure_reason], ['FAILED', 'task was cancelled']);
      }
      assert.equal((await taskRow(h, finishedChild.guid))!.state, 'SUCCEEDED');
      assert.equal((await taskRow(h, unrelated.guid))!.state, 'RUNNING');
      for (const t of [child, grandchild]) {
        assert.deepEqual(
          (await taskEvents(h, t.guid)).map((e) => e.type),
          ['audit.app.task.create', 'audit.app.task.cancel'],
        );
      }
      assert.equal((await h.post(`/v3/tasks/${unrelated.guid}/actions/cancel`, {})).status, 202);
    });

    test("subtasks follow the creator's rules: a creator who lost write access cannot make them", async () => {
      const { app, space, developer } = await developerApp(h);
      const parent = await createAs(h, developer.token, app.guid, PRINT_TOKEN_AND_WAIT);
      const token = await tokenOf(h, parent.guid);
      const roles = await h.get(`/v3/roles?user_guids=${developer.guid}&space_guids=${space.guid}`);
      assert.equal(roles.status, 200, roles.text);
      for (const role of roles.body.resources) assert.equal((await h.delete(`/v3/roles/${role.guid}`)).status, 202);
      const res = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'true', parent_task_guid: parent.guid }, token);
      // Without a role in the space the creator no longer sees the app, so neither does the task.
      cfError(res, 404, 'CF-ResourceNotFound', 10010, 'App not found');
      // The task still reports on itself: its token is its own, not its creator's roles.
      assert.equal((await h.post(`/v3/tasks/${parent.guid}/progress`, { percent: 5 }, token)).status, 200);
      assert.equal((await h.post(`/v3/tasks/${parent.guid}/actions/cancel`, {})).status, 202);
    });

    test('parent_task_guid is checked: a string, a task of the same app, and running', async () => {
      const { app } = await runnableApp(h);
      const other = await runnableApp(h);
      const running = await createTask(h, app.guid, PRINT_TOKEN_AND_WAIT);
      await tokenOf(h, running.guid);
      const elsewhere = await createTask(h, other.app.guid, PRINT_TOKEN_AND_WAIT);
      await tokenOf(h, elsewhere.guid);
      const done = await createTask(h, app.guid, 'true');
      await waitForTask(h, done.guid);
      const create = (parent: unknown) => h.post(`/v3/apps/${app.guid}/tasks`, { command: 'true', parent_task_guid: parent });

      cfError(
        await create(5),
        422,
        ...UNPROCESSABLE,
        'Parent task guid must be a string, Parent task guid must be between 1 and 200 characters',
      );
      const notOurs = 'Invalid parent task. Ensure that it is a task of this app.';
      cfError(await create('no-such-task'), 422, ...UNPROCESSABLE, notOurs);
      cfError(await create(elsewhere.guid), 422, ...UNPROCESSABLE, notOurs);
      cfError(await create(done.guid), 422, ...UNPROCESSABLE, 'Parent task state is SUCCEEDED and therefore cannot have subtasks');
      const made = await create(running.guid);
      assert.equal(made.status, 202, made.text);
      assert.equal(made.body.parent_task_guid, running.guid);
      const plain = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'true', parent_task_guid: null });
      assert.equal(plain.body.parent_task_guid, null);
      for (const t of [running, elsewhere]) assert.equal((await h.post(`/v3/tasks/${t.guid}/actions/cancel`, {})).status, 202);
    });
  },
  TASK_TOKEN_CONFIG,
);
