// A running task's own token (TASKD_TASK_TOKEN): handed to the task with TASKD_API and
// TASKD_TASK_GUID, good only for reporting on itself and creating its own subtasks, and only while
// the task runs. Real processes against a real listening server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { cfError, describeEachStore } from '../support/harness.js';
import { createTask, runnableApp, waitForTask } from '../runner/helpers.js';
import { listenForTasks, printedLines, PRINT_TOKEN_AND_WAIT, TASK_TOKEN_CONFIG, tokenOf } from '../support/task-token.js';

const NOT_AUTHORIZED = ['CF-NotAuthorized', 10003] as const;
const INVALID_TOKEN = ['CF-InvalidAuthToken', 1000] as const;

describeEachStore(
  "a task's own token",
  (h) => {
    listenForTasks(h);

    test('a running task gets TASKD_API, TASKD_TASK_GUID and TASKD_TASK_TOKEN', async () => {
      const { app } = await runnableApp(h);
      const task = await createTask(h, app.guid, 'echo "$TASKD_API"; echo "$TASKD_TASK_GUID"; echo "$TASKD_TASK_TOKEN"');
      const [api, guid, token] = await printedLines(h, task.guid, 3);
      const address = h.taskd.app.server.address() as { port: number };
      assert.equal(api, `http://127.0.0.1:${address.port}`);
      assert.equal(guid, task.guid);
      assert.match(token!, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      // A client's token in UAA's terms: the cf CLI, run by the task with it, reads it as the
      // client `task` (a user_name without an origin would crash it).
      const claims = decodeJwt(token!);
      assert.equal(claims.user_name, undefined);
      assert.equal(claims.client_id, 'task');
      assert.equal(claims.cid, 'task');
      assert.equal(claims.zid, 'uaa');
      assert.equal((await waitForTask(h, task.guid)).state, 'SUCCEEDED');
    });

    test('with it the task reads itself, and nothing else', async () => {
      const { app, space } = await runnableApp(h);
      const other = await runnableApp(h);
      const task = await createTask(h, app.guid, PRINT_TOKEN_AND_WAIT);
      const sibling = await createTask(h, app.guid, 'sleep 300');
      const token = await tokenOf(h, task.guid);

      const own = await h.get(`/v3/tasks/${task.guid}`, token);
      assert.equal(own.status, 200, own.text);
      assert.equal(own.body.guid, task.guid);
      assert.equal(own.body.state, 'RUNNING');
      assert.equal((await h.get(`/v3/tasks/${task.guid}/messages`, token)).status, 200);

      const refused = [
        h.get('/v3/tasks', token),
        h.get(`/v3/tasks/${sibling.guid}`, token),
        h.get(`/v3/tasks/${sibling.guid}/messages`, token),
        h.get(`/v3/tasks/${task.guid}/log`, token),
        h.get(`/v3/apps/${app.guid}`, token),
        h.get(`/v3/apps/${app.guid}/tasks`, token),
        h.get(`/v3/spaces/${space.guid}`, token),
        h.get('/v3/organizations', token),
        h.post(`/v3/tasks/${sibling.guid}/progress`, { percent: 10 }, token),
        h.post(`/v3/tasks/${sibling.guid}/messages`, { text: 'not mine' }, token),
        h.post(`/v3/tasks/${task.guid}/actions/cancel`, {}, token),
        h.patch(`/v3/tasks/${task.guid}`, { metadata: { labels: { a: 'b' } } }, token),
        // Subtasks only: in its own app, naming itself as the parent.
        h.post(`/v3/apps/${app.guid}/tasks`, { command: 'true' }, token),
        h.post(`/v3/apps/${app.guid}/tasks`, { command: 'true', parent_task_guid: sibling.guid }, token),
        h.post(`/v3/apps/${other.app.guid}/tasks`, { command: 'true', parent_task_guid: task.guid }, token),
        h.post('/v3/apps', { name: 'x', relationships: { space: { data: { guid: space.guid } } } }, token),
      ];
      for (const res of await Promise.all(refused))
        cfError(res, 403, ...NOT_AUTHORIZED, 'You are not authorized to perform the requested action');

      // A task token is not a refresh token either.
      const refresh = await h.taskd.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization: `Basic ${Buffer.from('cf:').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString(),
      });
      assert.notEqual(refresh.statusCode, 200, refresh.body);

      for (const t of [task, sibling]) assert.equal((await h.post(`/v3/tasks/${t.guid}/actions/cancel`, {})).status, 202);
    });

    test('the token is refused once its task has ended, however it ended', async () => {
      const { app } = await runnableApp(h);
      const exited = await createTask(h, app.guid, 'echo "$TASKD_TASK_TOKEN"');
      const exitedToken = await tokenOf(h, exited.guid);
      assert.equal((await waitForTask(h, exited.guid)).state, 'SUCCEEDED');
      cfError(await h.get(`/v3/tasks/${exited.guid}`, exitedToken), 401, ...INVALID_TOKEN, 'Invalid Auth Token');
      cfError(await h.post(`/v3/tasks/${exited.guid}/progress`, { percent: 100 }, exitedToken), 401, ...INVALID_TOKEN);

      const cancelled = await createTask(h, app.guid, PRINT_TOKEN_AND_WAIT);
      const cancelledToken = await tokenOf(h, cancelled.guid);
      assert.equal((await h.get(`/v3/tasks/${cancelled.guid}`, cancelledToken)).status, 200);
      assert.equal((await h.post(`/v3/tasks/${cancelled.guid}/actions/cancel`, {})).status, 202);
      assert.equal((await waitForTask(h, cancelled.guid)).failure_reason, 'task was cancelled');
      cfError(await h.get(`/v3/tasks/${cancelled.guid}`, cancelledToken), 401, ...INVALID_TOKEN);
    });

    test('a forged or garbled task token is refused', async () => {
      const { app } = await runnableApp(h);
      const task = await createTask(h, app.guid, PRINT_TOKEN_AND_WAIT);
      const token = await tokenOf(h, task.guid);
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const otherPayload = Buffer.from(JSON.stringify({ ...claims, task_guid: 'someone-else' })).toString('base64url');
      cfError(await h.get(`/v3/tasks/${task.guid}`, `${header}.${otherPayload}.${signature}`), 401, ...INVALID_TOKEN);
      cfError(await h.get(`/v3/tasks/${task.guid}`, `${token}x`), 401, ...INVALID_TOKEN);
      assert.equal((await h.post(`/v3/tasks/${task.guid}/actions/cancel`, {})).status, 202);
    });
  },
  TASK_TOKEN_CONFIG,
);
