// Pause and resume (taskd extensions, spec §11): checked as cancel is (404, 403, suspended org,
// 422 naming the state), committed with an audit event, the runner told after the commit. CF's
// view shows PAUSING and PAUSED as RUNNING; `taskd_state` and the `states` filter know better.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';
import { freshSpace, newSleepingTask as newTask, pretendRunnerElsewhere } from '../support/tasks.js';

const stateOf = async (h: Harness, guid: string) =>
  (await h.db.selectFrom('tasks').select('state').where('guid', '=', guid).executeTakeFirstOrThrow()).state;

/** As if a runner had claimed it (and, for PAUSING/PAUSED, acted on a pause). */
const setState = (h: Harness, guid: string, state: string) =>
  h.db
    .updateTable('tasks')
    .set({ state, runner_id: state === 'PENDING' ? null : 'elsewhere', started_at: new Date().toISOString() })
    .where('guid', '=', guid)
    .execute();

const pause = (h: Harness, guid: string, token?: string) => h.post(`/v3/tasks/${guid}/actions/pause`, undefined, token);
const resume = (h: Harness, guid: string, token?: string) => h.post(`/v3/tasks/${guid}/actions/resume`, undefined, token);

describeEachStore(
  'pausing and resuming tasks',
  (h) => {
    const matrix = sharedRoleMatrix(h);
    const paused: string[] = [];
    const resumed: string[] = [];

    before(async () => {
      await pretendRunnerElsewhere(h);
      h.taskd.ctx.signals.onPauseRequested((guid) => paused.push(guid));
      h.taskd.ctx.signals.onResumeRequested((guid) => resumed.push(guid));
    });

    test('pausing a running task answers 202: CF sees RUNNING, taskd_state PAUSING; its runner is told', async () => {
      const { space } = await freshSpace(h);
      const { task } = await newTask(h, space.guid);
      await setState(h, task.guid, 'RUNNING');
      const res = await pause(h, task.guid);
      assert.equal(res.status, 202, res.text);
      assert.equal(res.body.guid, task.guid);
      assert.equal(res.body.state, 'RUNNING');
      assert.equal(res.body.taskd_state, 'PAUSING');
      assert.equal(res.body.command, 'sleep 300');
      assert.deepEqual(Object.keys(res.body), Object.keys(task));
      assert.equal(await stateOf(h, task.guid), 'PAUSING', 'the runner records PAUSED, not the API');
      assert.ok(paused.includes(task.guid));
      const shown = await h.get(`/v3/tasks/${task.guid}`);
      assert.equal(shown.body.state, 'RUNNING');
      assert.equal(shown.body.taskd_state, 'PAUSING');
    });

    for (const from of ['PAUSED', 'PAUSING']) {
      test(`resuming a ${from} task answers 202 RUNNING; its runner is told`, async () => {
        const { space } = await freshSpace(h);
        const { task } = await newTask(h, space.guid);
        await setState(h, task.guid, from);
        const res = await resume(h, task.guid);
        assert.equal(res.status, 202, res.text);
        assert.equal(res.body.state, 'RUNNING');
        assert.equal(res.body.taskd_state, 'RUNNING');
        assert.equal(await stateOf(h, task.guid), 'RUNNING');
        assert.ok(resumed.includes(task.guid));
        const messages = await h.get(`/v3/tasks/${task.guid}/messages`);
        assert.deepEqual(
          messages.body.resources.map((m: { source: string; text: string }) => [m.source, m.text]),
          [['runner', 'resumed']],
        );
      });
    }

    const refusals: [string, 'pause' | 'resume', string][] = [
      ['PENDING', 'pause', 'paused'],
      ['PAUSING', 'pause', 'paused'],
      ['PAUSED', 'pause', 'paused'],
      ['CANCELING', 'pause', 'paused'],
      ['SUCCEEDED', 'pause', 'paused'],
      ['FAILED', 'pause', 'paused'],
      ['PENDING', 'resume', 'resumed'],
      ['RUNNING', 'resume', 'resumed'],
      ['CANCELING', 'resume', 'resumed'],
      ['SUCCEEDED', 'resume', 'resumed'],
    ];
    for (const [state, action, participle] of refusals) {
      test(`${action} of a ${state} task is 422 and changes nothing`, async () => {
        const { space } = await freshSpace(h);
        const { task } = await newTask(h, space.guid);
        await setState(h, task.guid, state);
        const res = await (action === 'pause' ? pause : resume)(h, task.guid);
        cfError(res, 422, 'CF-UnprocessableEntity', 10008, `Task state is ${state} and therefore cannot be ${participle}`);
        assert.equal(await stateOf(h, task.guid), state);
      });
    }

    for (const from of ['PAUSED', 'PAUSING']) {
      test(`a ${from} task can be cancelled`, async () => {
        const { space } = await freshSpace(h);
        const { task } = await newTask(h, space.guid);
        await setState(h, task.guid, from);
        const res = await h.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined);
        assert.equal(res.status, 202, res.text);
        assert.equal(res.body.state, 'CANCELING');
        assert.equal(await stateOf(h, task.guid), 'CANCELING');
      });
    }

    test('an unknown task is 404', async () => {
      cfError(await pause(h, 'no-such-task'), 404, 'CF-ResourceNotFound', 10010, 'Task not found');
      cfError(await resume(h, 'no-such-task'), 404, 'CF-ResourceNotFound', 10010, 'Task not found');
    });

    test('pause and resume are recorded as audit events', async () => {
      const { space, org } = await freshSpace(h);
      const { app, task } = await newTask(h, space.guid, { name: 'to-pause', memory_in_mb: 100 });
      await setState(h, task.guid, 'RUNNING');
      assert.equal((await pause(h, task.guid)).status, 202);
      assert.equal((await resume(h, task.guid)).status, 202);
      for (const type of ['audit.app.task.pause', 'audit.app.task.resume']) {
        const events = await h.get(`/v3/audit_events?types=${type}&target_guids=${app.guid}`);
        assert.equal(events.body.resources.length, 1, type);
        const e = events.body.resources[0];
        assert.deepEqual(e.actor, { guid: h.admin.guid, type: 'user', name: 'admin' });
        assert.deepEqual(e.target, { guid: app.guid, type: 'app', name: app.name });
        assert.deepEqual(e.data, {
          task_guid: task.guid,
          request: { name: 'to-pause', memory_in_mb: 100, command: '[PRIVATE DATA HIDDEN]' },
        });
        assert.deepEqual(e.space, { guid: space.guid });
        assert.deepEqual(e.organization, { guid: org.guid });
      }
    });

    test('check order: permission before state', async () => {
      const m = await matrix();
      const { task } = await newTask(h, m.space.guid);
      await setState(h, task.guid, 'SUCCEEDED');
      cfError(await pause(h, task.guid, m.tokens.space_auditor), 403, 'CF-NotAuthorized', 10003);
      cfError(await resume(h, task.guid, m.tokens.no_role), 404, 'CF-ResourceNotFound', 10010, 'Task not found');
    });

    test('suspended organization: a supporter gets 403 OrgSuspended, an admin does not', async () => {
      const { org, space } = await freshSpace(h);
      const supporter = await h.user();
      await h.role('space_supporter', supporter.guid, { space: space.guid });
      const { task } = await newTask(h, space.guid);
      await setState(h, task.guid, 'RUNNING');
      assert.equal((await h.patch(`/v3/organizations/${org.guid}`, { suspended: true })).status, 200);
      cfError(await pause(h, task.guid, supporter.token), 403, 'CF-OrgSuspended', 10017, 'The organization is suspended');
      assert.equal((await pause(h, task.guid)).status, 202);
    });

    const expectations: Record<RoleName, number> = {
      admin: 202,
      admin_read_only: 403,
      global_auditor: 403,
      org_manager: 403,
      org_auditor: 404,
      space_developer: 202,
      space_manager: 403,
      space_auditor: 403,
      space_supporter: 202,
      no_role: 404,
    };
    for (const role of ROLES) {
      test(`as ${role}: pause and resume answer ${expectations[role]}`, async () => {
        const m = await matrix();
        const { task } = await newTask(h, m.space.guid);
        await setState(h, task.guid, 'RUNNING');
        const res = await pause(h, task.guid, m.tokens[role]);
        assert.equal(res.status, expectations[role], res.text);
        assert.equal(await stateOf(h, task.guid), res.status === 202 ? 'PAUSING' : 'RUNNING');
        await setState(h, task.guid, 'PAUSED');
        const back = await resume(h, task.guid, m.tokens[role]);
        assert.equal(back.status, expectations[role], back.text);
        assert.equal(await stateOf(h, task.guid), back.status === 202 ? 'RUNNING' : 'PAUSED');
      });
    }

    test('a paused task still holds its memory and its place in the task quota', async () => {
      const { org, space } = await freshSpace(h);
      const quota = await h.post('/v3/space_quotas', {
        name: h.unique('sq'),
        apps: { total_memory_in_mb: 1000, per_app_tasks: 1 },
        relationships: { organization: { data: { guid: org.guid } }, spaces: { data: [{ guid: space.guid }] } },
      });
      assert.equal(quota.status, 201, quota.text);
      const { app, task } = await newTask(h, space.guid, { memory_in_mb: 600 });
      for (const state of ['PAUSING', 'PAUSED', 'RUNNING']) {
        await setState(h, task.guid, state);
        // Both limits are the space's: its tasks' memory, and its count of unfinished tasks.
        cfError(
          await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'sleep 300', memory_in_mb: 401 }),
          422,
          'CF-UnprocessableEntity',
          10008,
          'memory_in_mb exceeds space memory quota, app_task_limit quota exceeded',
        );
        cfError(
          await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'sleep 300', memory_in_mb: 1 }),
          422,
          'CF-UnprocessableEntity',
          10008,
          'app_task_limit quota exceeded',
        );
      }
    });

    test('states=RUNNING lists PAUSING and PAUSED tasks too (exact totals); states=PAUSED only those', async () => {
      const { space } = await freshSpace(h);
      const { app } = await appWithCurrentDroplet(h, space.guid);
      const made: Record<string, string> = {};
      for (const state of ['RUNNING', 'PAUSING', 'PAUSED', 'PENDING', 'SUCCEEDED']) {
        const res = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'sleep 300' });
        await setState(h, res.body.guid, state);
        made[state] = res.body.guid;
      }
      const guidsOf = (body: any) => body.resources.map((t: any) => t.guid).sort();
      const expected = [made.RUNNING, made.PAUSING, made.PAUSED].sort();
      // The counters fast path (no other filter than scope, space and states) and the app's list (rows counted).
      for (const url of [`/v3/tasks?states=RUNNING&space_guids=${space.guid}`, `/v3/apps/${app.guid}/tasks?states=RUNNING`]) {
        const res = await h.get(url);
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(guidsOf(res.body), expected, url);
        assert.equal(res.body.pagination.total_results, 3, url);
        assert.ok(res.body.resources.every((t: any) => t.state === 'RUNNING'));
      }
      const onlyPaused = await h.get(`/v3/tasks?states=PAUSED,PENDING&space_guids=${space.guid}`);
      assert.deepEqual(guidsOf(onlyPaused.body), [made.PAUSED, made.PENDING].sort());
      assert.equal(onlyPaused.body.pagination.total_results, 2);
      assert.deepEqual(onlyPaused.body.resources.map((t: any) => t.taskd_state).sort(), ['PAUSED', 'PENDING']);
    });
  },
  { runnerSlots: 0 },
);
