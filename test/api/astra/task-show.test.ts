import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describeEachStore } from '../../support/harness.js';
import { appInNewSpace, labelTask, seedTask } from '../../support/tasks.js';
import { assertProblem, astraGet, taskPath } from './helpers.js';

const TRANSITIONS = [
  { from: 'notStarted', to: ['running', 'cancelling', 'failed'] },
  { from: 'running', to: ['completed', 'pausing', 'cancelling', 'failed'] },
  { from: 'pausing', to: ['running', 'completed', 'paused', 'cancelling', 'failed'] },
  { from: 'paused', to: ['running', 'completed', 'cancelling', 'failed'] },
  { from: 'cancelling', to: ['completed', 'cancelled'] },
];

describeEachStore(
  'GET /accounts/:account_id/core/v1/tasks/:task_id',
  (h) => {
    test('shows a failed task as an Astra 1.1 task object, every field in place', async () => {
      const { org, app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid, {
        name: 'migrate',
        command: 'bin/rake db:migrate --secret',
        state: 'FAILED',
        failure_reason: 'Exited with status 1',
        created_by: h.admin.guid,
        started_at: '2024-03-01T10:20:31.000Z',
        finished_at: '2024-03-01T10:21:00.999Z',
        created_at: '2024-03-01T10:20:30.456Z',
        updated_at: '2024-03-01T10:21:00.999Z',
      });
      await labelTask(h, task, { env: 'prod', 'example.com/team': 'data' });

      const res = await astraGet(h, taskPath(org.guid, task.guid));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepEqual(res.body, {
        type: 'application/astra-task',
        version: '1.1',
        id: task.guid,
        name: 'taskd.task',
        summary: 'migrate',
        description: `Task migrate (#1) of app ${app.name}`,
        service: 'taskd',
        userID: h.admin.guid,
        resourceID: app.guid,
        resourceURI: `/v3/apps/${app.guid}`,
        resourceCollectionURI: [`/v3/apps/${app.guid}/tasks`],
        state: 'failed',
        stateTransitions: TRANSITIONS,
        stateDetails: [{ type: 'urn:taskd:astra:stateDetails:taskFailed', title: 'Task failed', detail: 'Exited with status 1' }],
        startTime: '2024-03-01T10:20:31.000Z',
        endTime: '2024-03-01T10:21:00.999Z',
        metadata: {
          labels: [
            { name: 'env', value: 'prod' },
            { name: 'example.com/team', value: 'data' },
          ],
          creationTimestamp: '2024-03-01T10:20:30.456Z',
          modificationTimestamp: '2024-03-01T10:21:00.999Z',
          createdBy: h.admin.guid,
        },
      });
      assert.ok(!res.text.includes('rake'), 'the command never shows');
    });

    test('maps each core state to its Astra state, with percentDone, cancelTime and stateDetails', async () => {
      const { org, app } = await appInNewSpace(h);
      const cases: [Parameters<typeof seedTask>[2], string, Record<string, unknown>][] = [
        [{ state: 'PENDING' }, 'notStarted', {}],
        [{ state: 'RUNNING', progress_percent: 40 }, 'running', { percentDone: 40 }],
        [{ state: 'PAUSING' }, 'pausing', {}],
        [{ state: 'PAUSED', progress_percent: 70 }, 'paused', { percentDone: 70 }],
        [{ state: 'CANCELING', cancel_requested_at: '2024-05-01T00:00:01.000Z' }, 'cancelling', { cancelTime: '2024-05-01T00:00:01.000Z' }],
        [{ state: 'SUCCEEDED', progress_percent: 90 }, 'completed', { percentDone: 100 }],
        [
          {
            state: 'FAILED',
            failure_reason: 'task was cancelled',
            cancel_requested_at: '2024-05-01T00:00:02.000Z',
            finished_at: '2024-05-01T00:00:03.000Z',
          },
          'cancelled',
          { cancelTime: '2024-05-01T00:00:02.000Z' },
        ],
        [{ state: 'FAILED', failure_reason: 'Killed by signal SIGKILL' }, 'failed', {}],
      ];
      for (const [overrides, state, extra] of cases) {
        const task = await seedTask(h, app.guid, overrides);
        const res = await astraGet(h, taskPath(org.guid, task.guid));
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.state, state);
        for (const field of ['percentDone', 'cancelTime']) assert.equal(res.body[field], extra[field], `${state} ${field}`);
        assert.deepEqual(res.body.stateDetails.length, state === 'failed' ? 1 : 0, state);
      }
    });

    test('a failed task without a recorded reason shows, and is found by, the detail "unknown"', async () => {
      const { org, app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid, { state: 'FAILED', failure_reason: null });
      const res = await astraGet(h, taskPath(org.guid, task.guid));
      assert.equal(res.body.state, 'failed');
      assert.equal(res.body.stateDetails[0].detail, 'unknown');
      const found = await astraGet(
        h,
        `/accounts/${org.guid}/core/v1/tasks?filter=${encodeURIComponent("stateDetails[*].detail eq 'unknown'")}&include=id`,
      );
      assert.deepEqual(found.body.items, [[task.guid]]);
    });

    test('a subtask is taskd.subtask with its parentTaskID; a system task is createdBy the null UUID without userID', async () => {
      const { org, app } = await appInNewSpace(h);
      const parent = await seedTask(h, app.guid, { created_by: null });
      const child = await seedTask(h, app.guid, { parent_task_guid: parent.guid, name: 'ab' });
      const p = (await astraGet(h, taskPath(org.guid, parent.guid))).body;
      const c = (await astraGet(h, taskPath(org.guid, child.guid))).body;
      assert.equal(p.name, 'taskd.task');
      assert.equal(p.parentTaskID, undefined);
      assert.equal(p.userID, undefined);
      assert.equal(p.metadata.createdBy, '00000000-0000-0000-0000-000000000000');
      assert.equal(c.name, 'taskd.subtask');
      assert.equal(c.parentTaskID, parent.guid);
      assert.equal(c.summary, 'ab.', 'a summary is padded to three characters');
    });

    test('a long task name is cut to 63 characters in the summary but kept whole in the description', async () => {
      const { org, app } = await appInNewSpace(h);
      const name = 'n'.repeat(100);
      const task = await seedTask(h, app.guid, { name });
      const res = await astraGet(h, taskPath(org.guid, task.guid));
      assert.equal(res.body.summary, 'n'.repeat(63));
      assert.equal(res.body.description, `Task ${name} (#1) of app ${app.name}`);
    });

    test('echoes application/astra-task+json when asked for it; */* gets application/json', async () => {
      const { org, app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid);
      const own = await astraGet(h, taskPath(org.guid, task.guid), h.admin.token, { accept: 'application/astra-task+json' });
      assert.equal(own.status, 200);
      assert.match(String(own.headers['content-type']), /^application\/astra-task\+json/);
      assert.equal(own.body.id, task.guid);
      const any = await astraGet(h, taskPath(org.guid, task.guid), h.admin.token, { accept: '*/*' });
      assert.match(String(any.headers['content-type']), /^application\/json/);
      assertProblem(await astraGet(h, taskPath(org.guid, task.guid), h.admin.token, { accept: 'text/html' }), 32);
      assertProblem(await astraGet(h, taskPath(org.guid, task.guid), h.admin.token, { accept: 'application/astra-tasks+json' }), 32);
    });

    test('an unknown task, or a task of another account, is problem 1; a malformed task id problem 35', async () => {
      const { org, app } = await appInNewSpace(h);
      const other = await appInNewSpace(h);
      const elsewhere = await seedTask(h, other.app.guid);
      await seedTask(h, app.guid);
      assertProblem(await astraGet(h, taskPath(org.guid, randomUUID())), 1);
      assertProblem(await astraGet(h, taskPath(org.guid, elsewhere.guid)), 1);
      assertProblem(await astraGet(h, taskPath(org.guid, 'not-a-uuid')), 35);
    });

    test('accepts ids in upper case', async () => {
      const { org, app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid);
      const res = await astraGet(h, taskPath(org.guid.toUpperCase(), task.guid.toUpperCase()));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.id, task.guid);
    });

    test('takes no query parameters: any is problem 6', async () => {
      const { org, app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid);
      const res = await astraGet(h, `${taskPath(org.guid, task.guid)}?include=id`);
      assertProblem(res, 6);
      assert.deepEqual(res.body.invalidParams, [{ name: 'include', reason: 'is not supported for this endpoint' }]);
    });
  },
  { runnerSlots: 0 },
);
