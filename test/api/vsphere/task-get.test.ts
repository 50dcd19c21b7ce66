import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../../support/harness.js';
import { appInNewSpace, labelTask, pretendRunnerElsewhere, seedTask } from '../../support/tasks.js';
import { apiError, call, fixtureSession, restError } from './helpers.js';

const T0 = '2026-01-02T03:04:05.678Z';
const T1 = '2026-01-02T03:05:00.000Z';
const T2 = '2026-01-02T03:06:30.500Z';

describeEachStore(
  'GET /rest/cis/tasks/{task} and /api/cis/tasks/{task}',
  (h) => {
    let session: string;
    let app: any;
    let creator: { guid: string; username: string };

    before(async () => {
      await pretendRunnerElsewhere(h);
      session = await fixtureSession(h);
      ({ app } = await appInNewSpace(h));
      creator = await h.user();
    });

    const get = (url: string) => call(h, 'GET', url, session);

    test('a running task as /rest shows it: value-wrapped Info with target, user, times and progress', async () => {
      const task = await seedTask(h, app.guid, {
        name: 'migrate-db',
        created_by: creator.guid,
        started_at: T1,
        created_at: T0,
        progress_percent: 40,
        progress_message: 'copied 4 of 10 tables',
      });
      // The progress message is the task's last report, not the latest of every message: taskd's
      // own "started" came after it here.
      await h.db.insertInto('task_messages').values({ task_id: task.id, seq: 1, time: T2, source: 'runner', text: 'started' }).execute();
      await h.db.updateTable('tasks').set({ message_count: 1 }).where('id', '=', task.id).execute();

      const res = await get(`/rest/cis/tasks/${task.guid}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, {
        value: {
          description: { id: 'taskd.task', default_message: 'migrate-db', args: ['migrate-db'] },
          service: 'taskd.task',
          operation: 'run',
          target: { type: 'app', id: app.guid },
          status: 'RUNNING',
          cancelable: true,
          start_time: T1,
          user: creator.username,
          progress: {
            total: 100,
            completed: 40,
            message: { id: 'taskd.task.message', default_message: 'copied 4 of 10 tables', args: [] },
          },
        },
      });
    });

    test('/rest also finds the task by the id: form a vSphere client library writes in paths', async () => {
      const task = await seedTask(h, app.guid, { name: 'by-id-form', started_at: T1 });
      const plain = await get(`/rest/cis/tasks/${task.guid}`);
      const idForm = await get(`/rest/cis/tasks/id:${task.guid}`);
      assert.equal(idForm.status, 200, idForm.text);
      assert.deepEqual(idForm.body, plain.body);
      restError(await get('/rest/cis/tasks/id:no-such-task'), 404, 'not_found', 'no-such-task');
    });

    test('/api answers the same Info bare', async () => {
      const task = await seedTask(h, app.guid, { name: 'bare', started_at: T1 });
      const rest = await get(`/rest/cis/tasks/${task.guid}`);
      const api = await get(`/api/cis/tasks/${task.guid}`);
      assert.equal(api.status, 200, api.text);
      assert.deepEqual(api.body, rest.body.value);
      assert.equal(api.body.user, undefined, 'a task without a creator has no user');
    });

    test('status, cancelable and times follow the task through every state', async () => {
      const cases = [
        { state: 'PENDING', status: 'PENDING', cancelable: true, start: false, end: false },
        { state: 'RUNNING', status: 'RUNNING', cancelable: true, start: true, end: false },
        { state: 'PAUSING', status: 'BLOCKED', cancelable: true, start: true, end: false },
        { state: 'PAUSED', status: 'BLOCKED', cancelable: true, start: true, end: false },
        { state: 'CANCELING', status: 'RUNNING', cancelable: false, start: true, end: false },
        { state: 'SUCCEEDED', status: 'SUCCEEDED', cancelable: false, start: true, end: true },
        { state: 'FAILED', status: 'FAILED', cancelable: false, start: true, end: true },
      ];
      for (const c of cases) {
        const task = await seedTask(h, app.guid, {
          state: c.state,
          started_at: c.state === 'PENDING' ? null : T1,
          finished_at: c.end ? T2 : null,
          exit_status: c.state === 'SUCCEEDED' ? 0 : c.state === 'FAILED' ? 3 : null,
          failure_reason: c.state === 'FAILED' ? 'Exited with status 3' : null,
        });
        const info = (await get(`/api/cis/tasks/${task.guid}`)).body;
        assert.equal(info.status, c.status, c.state);
        assert.equal(info.cancelable, c.cancelable, c.state);
        assert.equal(info.start_time, c.start ? T1 : undefined, c.state);
        assert.equal(info.end_time, c.end ? T2 : undefined, c.state);
        assert.equal('progress' in info, c.state !== 'PENDING', c.state);
        assert.equal('result' in info, c.end, c.state);
        assert.equal('error' in info, c.state === 'FAILED', c.state);
      }
    });

    test('a succeeded task: result {exit_status: 0}, progress complete', async () => {
      const task = await seedTask(h, app.guid, { state: 'SUCCEEDED', started_at: T1, finished_at: T2, exit_status: 0 });
      const info = (await get(`/rest/cis/tasks/${task.guid}`)).body.value;
      assert.deepEqual(info.result, { exit_status: 0 });
      assert.equal(info.progress.completed, 100);
      assert.equal(info.error, undefined);
    });

    test('a failed task carries its failure reason as the error, in each envelope', async () => {
      const task = await seedTask(h, app.guid, {
        state: 'FAILED',
        started_at: T1,
        finished_at: T2,
        exit_status: 2,
        failure_reason: 'Exited with status 2',
      });
      const rest = (await get(`/rest/cis/tasks/${task.guid}`)).body.value;
      assert.deepEqual(rest.error, {
        type: 'com.vmware.vapi.std.errors.error',
        value: { messages: [{ id: 'taskd.task.failed', default_message: 'Exited with status 2', args: [] }] },
      });
      assert.deepEqual(rest.result, { exit_status: 2 });
      const api = (await get(`/api/cis/tasks/${task.guid}`)).body;
      assert.deepEqual(api.error, {
        error_type: 'ERROR',
        messages: [{ id: 'taskd.task.failed', default_message: 'Exited with status 2', args: [] }],
      });
    });

    test('a task cancelled before it started is FAILED with a CANCELED error, and starts when it ends', async () => {
      const task = await seedTask(h, app.guid, {
        state: 'FAILED',
        started_at: null,
        finished_at: T2,
        failure_reason: 'task was cancelled',
      });
      const info = (await get(`/api/cis/tasks/${task.guid}`)).body;
      assert.equal(info.status, 'FAILED');
      assert.equal(info.error.error_type, 'CANCELED');
      assert.equal(info.error.messages[0].default_message, 'task was cancelled');
      assert.equal(info.start_time, T2);
      assert.equal(info.end_time, T2);
      assert.deepEqual(info.result, { exit_status: null });
    });

    test('a subtask names its parent', async () => {
      const parent = await seedTask(h, app.guid, {});
      const child = await seedTask(h, app.guid, { parent_task_guid: parent.guid });
      assert.equal((await get(`/api/cis/tasks/${child.guid}`)).body.parent, parent.guid);
      assert.equal((await get(`/api/cis/tasks/${parent.guid}`)).body.parent, undefined);
    });

    test("return_all adds taskd's own fields under result.taskd; labels are a map in each wire's form", async () => {
      const task = await seedTask(h, app.guid, {
        name: 'nightly',
        state: 'SUCCEEDED',
        started_at: T1,
        finished_at: T2,
        exit_status: 0,
        memory_in_mb: 256,
        disk_in_mb: 512,
      });
      await labelTask(h, task, { env: 'prod', 'example.org/team': 'ops' });
      const rest = (await get(`/rest/cis/tasks/${task.guid}?spec.return_all=true`)).body.value;
      assert.deepEqual(rest.result, {
        exit_status: 0,
        taskd: {
          guid: task.guid,
          name: 'nightly',
          sequence_id: task.sequence_id,
          memory_in_mb: 256,
          disk_in_mb: 512,
          labels: [
            { key: 'env', value: 'prod' },
            { key: 'example.org/team', value: 'ops' },
          ],
        },
      });
      for (const query of ['return_all=true', 'spec.return_all=true']) {
        const api = (await get(`/api/cis/tasks/${task.guid}?${query}`)).body;
        assert.deepEqual(api.result.taskd.labels, { env: 'prod', 'example.org/team': 'ops' }, query);
      }
      const running = await seedTask(h, app.guid, { started_at: T1 });
      assert.deepEqual(
        Object.keys((await get(`/api/cis/tasks/${running.guid}?return_all=true`)).body.result),
        ['taskd'],
        'no exit status before the end',
      );
    });

    test('exclude_result drops the result, even with return_all', async () => {
      const task = await seedTask(h, app.guid, { state: 'SUCCEEDED', started_at: T1, finished_at: T2, exit_status: 0 });
      assert.equal((await get(`/rest/cis/tasks/${task.guid}?spec.exclude_result=true&spec.return_all=true`)).body.value.result, undefined);
      assert.equal((await get(`/api/cis/tasks/${task.guid}?exclude_result=true`)).body.result, undefined);
      assert.deepEqual((await get(`/api/cis/tasks/${task.guid}?exclude_result=false`)).body.result, { exit_status: 0 });
    });

    test('an unknown task, or one the caller may not read, is 404 not_found', async () => {
      restError(await get('/rest/cis/tasks/no-such-task'), 404, 'not_found', 'no-such-task');
      apiError(await get('/api/cis/tasks/no-such-task'), 404, 'NOT_FOUND', 'no-such-task');
      const task = await seedTask(h, app.guid, {});
      const outsider = await fixtureSession(h, await h.user());
      restError(await call(h, 'GET', `/rest/cis/tasks/${task.guid}`, outsider), 404, 'not_found');
      apiError(await call(h, 'GET', `/api/cis/tasks/${task.guid}`, outsider), 404, 'NOT_FOUND');
    });

    test('a space auditor reads the task', async () => {
      const auditor = await h.user();
      const task = await seedTask(h, app.guid, {});
      const space = (await h.get(`/v3/apps/${app.guid}`)).body.relationships.space.data.guid;
      await h.role('space_auditor', auditor.guid, { space });
      const res = await call(h, 'GET', `/api/cis/tasks/${task.guid}`, await fixtureSession(h, auditor));
      assert.equal(res.status, 200, res.text);
    });

    test('bad get specs are 400 invalid_argument naming the parameter', async () => {
      const task = await seedTask(h, app.guid, {});
      restError(
        await get(`/rest/cis/tasks/${task.guid}?spec.return_all=yes`),
        400,
        'invalid_argument',
        'spec.return_all must be true or false',
      );
      restError(await get(`/rest/cis/tasks/${task.guid}?return_all=true`), 400, 'invalid_argument', "'return_all'");
      apiError(await get(`/api/cis/tasks/${task.guid}?exclude_result=1`), 400, 'INVALID_ARGUMENT', 'exclude_result');
      apiError(await get(`/api/cis/tasks/${task.guid}?return_all=true&return_all=false`), 400, 'INVALID_ARGUMENT', 'more than once');
    });
  },
  { runnerSlots: 0 },
);
