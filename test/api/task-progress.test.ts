// What a running task reports about itself (taskd extensions): POST /v3/tasks/:guid/progress and
// /messages with its own token, GET /v3/tasks/:guid/messages, and the runner's own messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate } from 'node:timers/promises';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { createTask, eventually, runnableApp, taskRow, waitForTask } from '../runner/helpers.js';
import { pruneCompletedTasks } from '../../src/actions/task-maintenance.js';
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

async function messagesOf(h: Harness, guid: string, query = '') {
  const res = await h.get(`/v3/tasks/${guid}/messages${query}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** A running task (printing its token, then waiting) whose runner has said "started". */
async function startedTask(h: Harness) {
  const { app, space } = await runnableApp(h);
  const task = await createTask(h, app.guid, PRINT_TOKEN_AND_WAIT);
  const token = await tokenOf(h, task.guid);
  await eventually('the runner said started', async () => (await messagesOf(h, task.guid)).resources.length === 1);
  return { app, space, task, token };
}

describeEachStore(
  'a task reporting progress and messages',
  (h) => {
    listenForTasks(h);

    test('a task posts progress and messages with its own token; they show on the task and in its messages', async () => {
      const { app } = await runnableApp(h);
      const script = [
        API_FUNCTION,
        `api POST "/v3/tasks/$TASKD_TASK_GUID/progress" '{"percent":40,"message":"halfway"}'`,
        `api POST "/v3/tasks/$TASKD_TASK_GUID/messages" '{"text":"copied 10 files"}'`,
        `api POST "/v3/tasks/$TASKD_TASK_GUID/progress" '{"percent":30}'`,
        `api GET "/v3/tasks/$TASKD_TASK_GUID"`,
        `api POST "/v3/tasks/$TASKD_TASK_GUID/progress" '{"percent":100,"message":"done"}'`,
      ].join('\n');
      const task = await createTask(h, app.guid, script);
      const lines = (await printedLines(h, task.guid, 5)).map(parseApiLine);
      assert.equal((await waitForTask(h, task.guid)).state, 'SUCCEEDED');

      assert.deepEqual(
        lines.map((l) => l.status),
        [200, 201, 422, 200, 200],
      );
      assert.deepEqual(lines[0]!.body.progress, { percent: 40, message: 'halfway' });
      assert.deepEqual({ ...lines[1]!.body, time: undefined }, { seq: 2, time: undefined, source: 'task', text: 'copied 10 files' });
      assert.equal(lines[2]!.body.errors[0].detail, 'Percent must not move backwards (now 40)');
      assert.deepEqual(lines[3]!.body.progress, { percent: 40, message: 'halfway' });
      assert.equal(lines[3]!.body.latest_message.text, 'copied 10 files');

      const shown = await h.get(`/v3/tasks/${task.guid}`);
      assert.deepEqual(shown.body.progress, { percent: 100, message: 'done' });
      assert.deepEqual(
        { ...shown.body.latest_message, time: undefined },
        { seq: 3, time: undefined, source: 'runner', text: 'exited with status 0' },
      );
      assert.equal(shown.body.parent_task_guid, null);

      const messages = await messagesOf(h, task.guid);
      assert.deepEqual(
        messages.resources.map((m: any) => [m.seq, m.source, m.text]),
        [
          [1, 'runner', 'started'],
          [2, 'task', 'copied 10 files'],
          [3, 'runner', 'exited with status 0'],
        ],
      );
      for (const m of messages.resources) assert.match(m.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      // Lists show the extension fields too.
      const listed = await h.get(`/v3/apps/${app.guid}/tasks`);
      assert.deepEqual(listed.body.resources[0].progress, { percent: 100, message: 'done' });
      assert.equal(listed.body.resources[0].latest_message.text, 'exited with status 0');
    });

    test('progress bodies are checked, CF-style', async () => {
      const { task, token } = await startedTask(h);
      const post = (body: unknown) => h.post(`/v3/tasks/${task.guid}/progress`, body, token);
      const percentMessage = 'Percent must be an integer between 0 and 100';
      for (const body of [{}, { percent: 101 }, { percent: -1 }, { percent: 1.5 }, { percent: '50' }, { percent: null }]) {
        cfError(await post(body), 422, ...UNPROCESSABLE, percentMessage);
      }
      cfError(await post({ percent: 5, colour: 'red' }), 422, ...UNPROCESSABLE, "Unknown field(s): 'colour'");
      cfError(await post({ percent: 5, message: '' }), 422, ...UNPROCESSABLE, 'Message must be between 1 and 4096 characters');
      cfError(
        await post({ percent: 5, message: 'x'.repeat(4097) }),
        422,
        ...UNPROCESSABLE,
        'Message must be between 1 and 4096 characters',
      );
      cfError(await post({ percent: 5, message: 7 }), 422, ...UNPROCESSABLE, 'Message must be a string');
      cfError(await post({ percent: 500, message: 7 }), 422, ...UNPROCESSABLE, `${percentMessage}, Message must be a string`);

      assert.equal((await post({ percent: 0 })).status, 200);
      const at40 = await post({ percent: 40, message: 'x'.repeat(4096) });
      assert.equal(at40.status, 200, at40.text);
      // The same percentage may change the message; an omitted message clears it.
      assert.deepEqual((await post({ percent: 40, message: 'still 40' })).body.progress, { percent: 40, message: 'still 40' });
      cfError(await post({ percent: 39 }), 422, ...UNPROCESSABLE, 'Percent must not move backwards (now 40)');
      assert.deepEqual((await post({ percent: 40 })).body.progress, { percent: 40, message: null });
      assert.equal((await h.post(`/v3/tasks/${task.guid}/actions/cancel`, {})).status, 202);
    });

    test('message bodies are checked, and messages are listed a page at a time', async () => {
      const { task, token } = await startedTask(h);
      const post = (body: unknown) => h.post(`/v3/tasks/${task.guid}/messages`, body, token);
      cfError(await post({}), 422, ...UNPROCESSABLE, 'Text must be a string');
      cfError(await post({ text: '' }), 422, ...UNPROCESSABLE, 'Text must be between 1 and 4096 characters');
      cfError(await post({ text: 'a', level: 'info' }), 422, ...UNPROCESSABLE, "Unknown field(s): 'level'");
      for (const text of ['one', 'two', 'three']) assert.equal((await post({ text })).status, 201);

      const page2 = await messagesOf(h, task.guid, '?per_page=2&page=2');
      assert.equal(page2.pagination.total_results, 4);
      assert.equal(page2.pagination.total_pages, 2);
      assert.equal(new URL(page2.pagination.previous.href).search, '?page=1&per_page=2');
      assert.ok(page2.pagination.first.href.endsWith(`/v3/tasks/${task.guid}/messages?page=1&per_page=2`), page2.pagination.first.href);
      assert.equal(page2.pagination.next, null);
      assert.deepEqual(
        page2.resources.map((m: any) => [m.seq, m.text]),
        [
          [3, 'two'],
          [4, 'three'],
        ],
      );
      cfError(await h.get(`/v3/tasks/${task.guid}/messages?order_by=seq`), 400, 'CF-BadQueryParameter', 10005);
      assert.equal((await h.post(`/v3/tasks/${task.guid}/actions/cancel`, {})).status, 202);
    });

    test('only the task itself reports; who may read the task reads its messages', async () => {
      const { task, space } = await startedTask(h);
      const developer = await h.user();
      await h.role('space_developer', developer.guid, { space: space.guid });
      const auditor = await h.user();
      await h.role('space_auditor', auditor.guid, { space: space.guid });
      const stranger = await h.user();

      for (const who of [h.admin, developer]) {
        cfError(await h.post(`/v3/tasks/${task.guid}/progress`, { percent: 10 }, who.token), 403, 'CF-NotAuthorized', 10003);
        cfError(await h.post(`/v3/tasks/${task.guid}/messages`, { text: 'hi' }, who.token), 403, 'CF-NotAuthorized', 10003);
      }
      assert.equal((await h.get(`/v3/tasks/${task.guid}/messages`, auditor.token)).status, 200);
      cfError(await h.get(`/v3/tasks/${task.guid}/messages`, stranger.token), 404, 'CF-ResourceNotFound', 10010, 'Task not found');
      cfError(await h.post(`/v3/tasks/${task.guid}/messages`, { text: 'hi' }, stranger.token), 404, 'CF-ResourceNotFound', 10010);
      cfError(await h.get('/v3/tasks/no-such-task/messages'), 404, 'CF-ResourceNotFound', 10010, 'Task not found');
      assert.equal((await h.post(`/v3/tasks/${task.guid}/actions/cancel`, {})).status, 202);
    });

    test('the runner says how a task ended: exit status, signal, cancel', async () => {
      const { app } = await runnableApp(h);
      const failed = await createTask(h, app.guid, 'exit 3');
      const killed = await createTask(h, app.guid, 'kill -9 $$');
      const cancelled = await createTask(h, app.guid, PRINT_TOKEN_AND_WAIT);
      await tokenOf(h, cancelled.guid);
      assert.equal((await h.post(`/v3/tasks/${cancelled.guid}/actions/cancel`, {})).status, 202);
      const expected: [any, string][] = [
        [failed, 'exited with status 3'],
        [killed, 'killed by signal SIGKILL'],
        [cancelled, 'cancelled'],
      ];
      for (const [task, last] of expected) {
        await waitForTask(h, task.guid);
        const texts = (await messagesOf(h, task.guid)).resources.map((m: any) => `${m.source}: ${m.text}`);
        assert.deepEqual(texts, ['runner: started', `runner: ${last}`]);
      }
    });

    test('a task seen final already says how it ended: its end and its message commit together', async () => {
      const { app } = await runnableApp(h);
      const tasks = await Promise.all(Array.from({ length: 20 }, () => createTask(h, app.guid, 'true')));
      await Promise.all(
        tasks.map(async (task) => {
          // Polled as often as the event loop allows (a setImmediate lets the runner's I/O through),
          // so a read between two separate commits would be caught.
          for (const deadline = Date.now() + 20_000; Date.now() < deadline; await setImmediate()) {
            const seen = (await h.get(`/v3/tasks/${task.guid}`)).body;
            if (seen.state !== 'SUCCEEDED') continue;
            assert.equal(
              seen.latest_message?.text,
              'exited with status 0',
              `${task.guid} was seen SUCCEEDED with latest message ${JSON.stringify(seen.latest_message)}`,
            );
            return;
          }
          assert.fail(`${task.guid} did not succeed in 20 s`);
        }),
      );
    });

    test("a task's messages go with it when it is pruned", async () => {
      const { app } = await runnableApp(h);
      const task = await createTask(h, app.guid, 'true');
      await waitForTask(h, task.guid);
      const row = await taskRow(h, task.guid);
      await h.db.updateTable('tasks').set({ updated_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', row!.id).execute();
      assert.ok((await pruneCompletedTasks(h.db, 31)) >= 1);
      const left = await h.db.selectFrom('task_messages').select('seq').where('task_id', '=', row!.id).execute();
      assert.deepEqual(left, []);
    });
  },
  TASK_TOKEN_CONFIG,
);
