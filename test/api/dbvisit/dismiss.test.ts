// POST /task/dismiss (taskd's extension, specs/dialects.md §5 Dbvisit): a space developer of the
// task's space (or an admin) marks a finished task Dismissed; it leaves the default list, keeps
// its state everywhere else, and the dismissal is an audit event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../../support/harness.js';
import { appInNewSpace, seedTask } from '../../support/tasks.js';
import { adminBearer, appId, assertDbvisitError, assertSuccess, bearerOf, dbvisit, listTasks, SEEDED_ONLY } from './helpers.js';

const FINISHED = {
  state: 'SUCCEEDED',
  started_at: '2024-01-01T00:00:00.000Z',
  finished_at: '2024-01-01T00:01:00.000Z',
  exit_status: 0,
} as const;

describeEachStore(
  'Dbvisit /task/dismiss',
  (h) => {
    async function developerTask(overrides: Record<string, unknown> = FINISHED) {
      const { space, app } = await appInNewSpace(h);
      const developer = await h.user();
      await h.role('space_developer', developer.guid, { space: space.guid });
      const task = await seedTask(h, app.guid, overrides);
      return { space, app, developer, task };
    }

    test('a space developer dismisses a finished task: Dismissed by them, hidden from the default list', async () => {
      const { app, developer, task } = await developerTask();
      const res = await dbvisit(h, '/task/dismiss', bearerOf(developer), { params: { task_id: task.id } });
      assertSuccess(res);
      assert.deepEqual(
        [res.body.result.task_id, res.body.result.state, res.body.result.hidden_by, res.body.result.dismissed_by],
        [task.id, 'Dismissed', developer.username, developer.username],
      );
      const configuration_id = await appId(h, app.guid);
      assert.deepEqual(await listTasks(h, bearerOf(developer), { configuration_id }), []);
      assert.deepEqual(
        (await listTasks(h, bearerOf(developer), { configuration_id, show_hidden: true })).map((t) => t.state),
        ['Dismissed'],
      );
    });

    test('a failed task can be dismissed too, with a Bearer token', async () => {
      const { developer, task } = await developerTask({
        state: 'FAILED',
        failure_reason: 'Exited with status 1',
        finished_at: '2024-01-01T00:00:00.000Z',
      });
      const res = await dbvisit(h, '/task/dismiss', `Bearer ${developer.token}`, { params: { task_id: task.id } });
      assertSuccess(res);
      assert.equal(res.body.result.state, 'Dismissed');
    });

    test('the task keeps its state for the CF API, and the dismissal is an audit event', async () => {
      const { app, developer, task } = await developerTask();
      assertSuccess(await dbvisit(h, '/task/dismiss', bearerOf(developer), { params: { task_id: task.id } }));
      const cf = await h.get(`/v3/tasks/${task.guid}`);
      assert.equal(cf.body.state, 'SUCCEEDED');
      const events = await h.get(`/v3/audit_events?types=audit.app.task.dismiss&target_guids=${app.guid}`);
      assert.equal(events.status, 200, events.text);
      assert.equal(events.body.resources.length, 1);
      assert.equal(events.body.resources[0].actor.guid, developer.guid);
      assert.equal(events.body.resources[0].data.task_guid, task.guid);
    });

    test('dismissing again changes nothing: the first dismisser stays, no second event', async () => {
      const { space, app, developer, task } = await developerTask();
      const other = await h.user();
      await h.role('space_developer', other.guid, { space: space.guid });
      assertSuccess(await dbvisit(h, '/task/dismiss', bearerOf(developer), { params: { task_id: task.id } }));
      const again = await dbvisit(h, '/task/dismiss', bearerOf(other), { params: { task_id: task.id } });
      assertSuccess(again);
      assert.equal(again.body.result.hidden_by, developer.username);
      const events = await h.get(`/v3/audit_events?types=audit.app.task.dismiss&target_guids=${app.guid}`);
      assert.equal(events.body.resources.length, 1);
    });

    test('an unfinished task cannot be dismissed', async () => {
      for (const state of ['PENDING', 'RUNNING', 'PAUSED', 'CANCELING']) {
        const { developer, task } = await developerTask({ state });
        assertDbvisitError(
          await dbvisit(h, '/task/dismiss', bearerOf(developer), { params: { task_id: task.id } }),
          400,
          `task ${task.id} is In Progress: only finished tasks (End or Failed) can be dismissed`,
        );
        const row = await h.db.selectFrom('tasks').select(['dismissed_by', 'state']).where('id', '=', task.id).executeTakeFirstOrThrow();
        assert.deepEqual(row, { dismissed_by: null, state });
      }
    });

    test('readers who may not write the space are refused (403); strangers find no task (400)', async () => {
      const { space, task } = await developerTask();
      const auditor = await h.user();
      await h.role('space_auditor', auditor.guid, { space: space.guid });
      const stranger = await h.user();
      const globalAuditor = await h.user(['cloud_controller.global_auditor']);
      assertDbvisitError(await dbvisit(h, '/task/dismiss', bearerOf(auditor), { params: { task_id: task.id } }), 403, /not allowed/);
      assertDbvisitError(await dbvisit(h, '/task/dismiss', bearerOf(globalAuditor), { params: { task_id: task.id } }), 403, /not allowed/);
      assertDbvisitError(
        await dbvisit(h, '/task/dismiss', bearerOf(stranger), { params: { task_id: task.id } }),
        400,
        `task ${task.id} not found`,
      );
      const row = await h.db.selectFrom('tasks').select('dismissed_by').where('id', '=', task.id).executeTakeFirstOrThrow();
      assert.equal(row.dismissed_by, null, 'nobody dismissed it');
    });

    test('an admin may dismiss any finished task', async () => {
      const { task } = await developerTask();
      const res = await dbvisit(h, '/task/dismiss', adminBearer(h), { params: { task_id: task.id } });
      assertSuccess(res);
      assert.equal(res.body.result.dismissed_by, 'admin');
    });
  },
  SEEDED_ONLY,
);
