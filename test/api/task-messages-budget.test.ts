// A task keeps at most TASKD_TASK_MAX_MESSAGES messages (issue 17, finding 10: one task posted
// 3,000): past it, the task's own message is refused with CF's 422 and the messages kept stay as
// they are; taskd's own messages (how the task ended) are never refused, so a task that used up
// its budget still says how it ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { createTask, eventually, runnableApp, waitForTask } from '../runner/helpers.js';
import { listenForTasks, PRINT_TOKEN_AND_WAIT, TASK_TOKEN_CONFIG, tokenOf } from '../support/task-token.js';

async function messageTexts(h: Harness, guid: string): Promise<string[]> {
  const res = await h.get(`/v3/tasks/${guid}/messages?per_page=100`);
  assert.equal(res.status, 200, res.text);
  return res.body.resources.map((m: any) => `${m.source}: ${m.text}`);
}

describeEachStore(
  'the message budget of a task',
  (h) => {
    listenForTasks(h);

    test('a task posts messages up to its budget; the next is refused and the kept ones stay', async () => {
      const { app } = await runnableApp(h);
      const task = await createTask(h, app.guid, PRINT_TOKEN_AND_WAIT);
      const token = await tokenOf(h, task.guid);
      await eventually('the runner said started', async () => (await messageTexts(h, task.guid)).length === 1);
      const post = (text: string) => h.post(`/v3/tasks/${task.guid}/messages`, { text }, token);
      // "started" is one of the five.
      for (const text of ['one', 'two', 'three', 'four']) assert.equal((await post(text)).status, 201);
      for (const text of ['five', 'six'])
        cfError(await post(text), 422, 'CF-UnprocessableEntity', 10008, 'Task has reached its limit of 5 messages');
      assert.deepEqual(await messageTexts(h, task.guid), ['runner: started', 'task: one', 'task: two', 'task: three', 'task: four']);

      assert.equal((await h.post(`/v3/tasks/${task.guid}/actions/cancel`, {})).status, 202);
      await waitForTask(h, task.guid);
      assert.equal((await messageTexts(h, task.guid)).at(-1), 'runner: cancelled');
    });
  },
  { ...TASK_TOKEN_CONFIG, taskMaxMessages: 5 },
);
