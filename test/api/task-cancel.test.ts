import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';
import { freshSpace, newSleepingTask as newTask, pretendRunnerElsewhere } from '../support/tasks.js';

const stateOf = async (h: Harness, guid: string) =>
  h.db
    .selectFrom('tasks')
    .select(['state', 'failure_reason', 'cancel_requested_at', 'updated_at'])
    .where('guid', '=', guid)
    .executeTakeFirstOrThrow();

/** As if a runner had claimed it. */
const markRunning = (h: Harness, guid: string) =>
  h.db
    .updateTable('tasks')
    .set({ state: 'RUNNING', runner_id: 'elsewhere', started_at: new Date().toISOString() })
    .where('guid', '=', guid)
    .execute();

describeEachStore(
  'cancelling tasks',
  (h) => {
    const matrix = sharedRoleMatrix(h);
    const signalled: string[] = [];

    before(async () => {
      await pretendRunnerElsewhere(h);
      h.taskd.ctx.signals.onCancelRequested((guid) => signalled.push(guid));
    });

    for (const path of ['POST /v3/tasks/:guid/actions/cancel', 'PUT /v3/tasks/:guid/cancel']) {
      test(`${path}: a running task answers 202 CANCELING with command; its runner is told`, async () => {
        const { space } = await freshSpace(h);
        const { task } = await newTask(h, space.guid, { name: 'long' });
        await markRunning(h, task.guid);
        const [method, url] = path.split(' ');
        const res = await h.request(method, url.replace(':guid', task.guid), { token: h.admin.token });
        assert.equal(res.status, 202, res.text);
        assert.equal(res.headers.location, undefined);
        assert.equal(res.body.guid, task.guid);
        assert.equal(res.body.state, 'CANCELING');
        assert.equal(res.body.command, 'sleep 300');
        assert.deepEqual(res.body.result, { failure_reason: null });
        assert.equal(res.body.sequence_id, 1);
        assert.deepEqual(Object.keys(res.body), Object.keys(task));
        const row = await stateOf(h, task.guid);
        assert.equal(row.state, 'CANCELING', 'the runner finishes it, not the API');
        assert.ok(row.cancel_requested_at);
        assert.ok(signalled.includes(task.guid));
      });
    }

    test('a task no runner has claimed is CANCELING in the answer and then FAILED "task was cancelled"', async () => {
      const { space } = await freshSpace(h);
      const { task } = await newTask(h, space.guid);
      const res = await h.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined);
      assert.equal(res.status, 202, res.text);
      assert.equal(res.body.state, 'CANCELING');
      const row = await stateOf(h, task.guid);
      assert.equal(row.state, 'FAILED');
      assert.equal(row.failure_reason, 'task was cancelled');
      cfError(
        await h.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined),
        422,
        'CF-UnprocessableEntity',
        10008,
        'Task state is FAILED and therefore cannot be canceled',
      );
    });

    test('cancelling a CANCELING task again is accepted', async () => {
      const { space } = await freshSpace(h);
      const { task } = await newTask(h, space.guid);
      await markRunning(h, task.guid);
      assert.equal((await h.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined)).status, 202);
      const again = await h.request('PUT', `/v3/tasks/${task.guid}/cancel`, { token: h.admin.token });
      assert.equal(again.status, 202, again.text);
      assert.equal(again.body.state, 'CANCELING');
    });

    test('a finished task cannot be cancelled', async () => {
      const { space } = await freshSpace(h);
      const { task } = await newTask(h, space.guid);
      await h.db.updateTable('tasks').set({ state: 'SUCCEEDED' }).where('guid', '=', task.guid).execute();
      cfError(
        await h.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined),
        422,
        'CF-UnprocessableEntity',
        10008,
        'Task state is SUCCEEDED and therefore cannot be canceled',
      );
      assert.equal((await stateOf(h, task.guid)).state, 'SUCCEEDED');
    });

    test('an unknown task is 404', async () => {
      cfError(await h.post('/v3/tasks/no-such-task/actions/cancel', undefined), 404, 'CF-ResourceNotFound', 10010, 'Task not found');
      cfError(
        await h.request('PUT', '/v3/tasks/no-such-task/cancel', { token: h.admin.token }),
        404,
        'CF-ResourceNotFound',
        10010,
        'Task not found',
      );
    });

    test('the cancel is recorded as an audit event', async () => {
      const { space, org } = await freshSpace(h);
      const { app, task } = await newTask(h, space.guid, { name: 'to-cancel', memory_in_mb: 100 });
      await markRunning(h, task.guid);
      await h.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined);
      const events = await h.get(`/v3/audit_events?types=audit.app.task.cancel&target_guids=${app.guid}`);
      assert.equal(events.body.resources.length, 1);
      const e = events.body.resources[0];
      assert.equal(e.type, 'audit.app.task.cancel');
      assert.deepEqual(e.actor, { guid: h.admin.guid, type: 'user', name: 'admin' });
      assert.deepEqual(e.target, { guid: app.guid, type: 'app', name: app.name });
      assert.deepEqual(e.data, {
        task_guid: task.guid,
        request: { name: 'to-cancel', memory_in_mb: 100, command: '[PRIVATE DATA HIDDEN]' },
      });
      assert.deepEqual(e.space, { guid: space.guid });
      assert.deepEqual(e.organization, { guid: org.guid });
    });

    test('check order: permission before state; suspended org before state', async () => {
      const m = await matrix();
      const { task } = await newTask(h, m.space.guid);
      await h.db.updateTable('tasks').set({ state: 'SUCCEEDED' }).where('guid', '=', task.guid).execute();
      cfError(await h.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined, m.tokens.space_auditor), 403, 'CF-NotAuthorized', 10003);
      cfError(
        await h.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined, m.tokens.no_role),
        404,
        'CF-ResourceNotFound',
        10010,
        'Task not found',
      );
    });

    test('suspended organization: supporters and developers get 403 OrgSuspended, admins do not', async () => {
      const { org, space } = await freshSpace(h);
      const supporter = await h.user();
      await h.role('space_supporter', supporter.guid, { space: space.guid });
      const { task } = await newTask(h, space.guid);
      await markRunning(h, task.guid);
      assert.equal((await h.patch(`/v3/organizations/${org.guid}`, { suspended: true })).status, 200);
      cfError(
        await h.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined, supporter.token),
        403,
        'CF-OrgSuspended',
        10017,
        'The organization is suspended',
      );
      assert.equal((await h.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined)).status, 202);
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
      test(`as ${role} answers ${expectations[role]}`, async () => {
        const m = await matrix();
        const { task } = await newTask(h, m.space.guid);
        await markRunning(h, task.guid);
        const res = await h.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined, m.tokens[role]);
        assert.equal(res.status, expectations[role], res.text);
        if (res.status === 202) assert.equal(res.body.command, 'sleep 300', 'the answer shows the command, even to a supporter');
        if (res.status === 403) cfError(res, 403, 'CF-NotAuthorized', 10003, 'You are not authorized to perform the requested action');
        if (res.status === 404) cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Task not found');
        assert.equal((await stateOf(h, task.guid)).state, res.status === 202 ? 'CANCELING' : 'RUNNING');
      });
    }

    test('deleting an app deletes its tasks with their logs, metadata and keys; unfinished ones are stopped', async () => {
      const { space } = await freshSpace(h);
      const { app } = await appWithCurrentDroplet(h, space.guid);
      const mk = async (key: string) => {
        const res = await h.request('POST', `/v3/apps/${app.guid}/tasks`, {
          token: h.admin.token,
          body: { command: 'sleep 300', metadata: { labels: { a: 'b' } } },
          headers: { 'idempotency-key': key },
        });
        assert.equal(res.status, 202, res.text);
        return res.body;
      };
      const running = await mk('del-1');
      const done = await mk('del-2');
      await markRunning(h, running.guid);
      await h.db.updateTable('tasks').set({ state: 'SUCCEEDED' }).where('guid', '=', done.guid).execute();
      const ids = (await h.db.selectFrom('tasks').select('id').where('guid', 'in', [running.guid, done.guid]).execute()).map((r) => r.id);
      await h.db
        .insertInto('task_log_lines')
        .values({ task_id: ids[0], seq: 1, time: new Date().toISOString(), stream: 'stdout', text: 'hello' })
        .execute();
      signalled.length = 0;

      const res = await h.delete(`/v3/apps/${app.guid}`);
      assert.equal(res.status, 202, res.text);
      assert.equal((await h.db.selectFrom('tasks').select('id').where('id', 'in', ids).execute()).length, 0);
      assert.equal((await h.db.selectFrom('task_log_lines').select('seq').where('task_id', 'in', ids).execute()).length, 0);
      assert.equal(
        (await h.db.selectFrom('metadata').select('id').where('resource_kind', '=', 'task').where('resource_id', 'in', ids).execute())
          .length,
        0,
      );
      assert.equal(
        (await h.db.selectFrom('task_idempotency_keys').select('key').where('key', 'in', ['del-1', 'del-2']).execute()).length,
        0,
      );
      assert.deepEqual(signalled, [running.guid]);
      cfError(await h.post(`/v3/tasks/${running.guid}/actions/cancel`, undefined), 404, 'CF-ResourceNotFound', 10010, 'Task not found');
      // The key is free again, for another app.
      const other = (await appWithCurrentDroplet(h, space.guid)).app;
      const again = await h.request('POST', `/v3/apps/${other.guid}/tasks`, {
        token: h.admin.token,
        body: { command: 'sleep 300' },
        headers: { 'idempotency-key': 'del-1' },
      });
      assert.equal(again.status, 202, again.text);
    });

    test('deleting a space or an organization deletes the tasks in it', async () => {
      const { org, space } = await freshSpace(h);
      const a = await newTask(h, space.guid);
      const otherSpace = await h.space(org.guid);
      const b = await newTask(h, otherSpace.guid);
      await markRunning(h, a.task.guid);
      signalled.length = 0;
      assert.equal((await h.delete(`/v3/spaces/${space.guid}`)).status, 202);
      assert.equal(await h.db.selectFrom('tasks').select('id').where('guid', '=', a.task.guid).executeTakeFirst(), undefined);
      assert.ok(await h.db.selectFrom('tasks').select('id').where('guid', '=', b.task.guid).executeTakeFirst());
      assert.deepEqual(signalled, [a.task.guid]);
      assert.equal((await h.delete(`/v3/organizations/${org.guid}`)).status, 202);
      assert.equal(await h.db.selectFrom('tasks').select('id').where('guid', '=', b.task.guid).executeTakeFirst(), undefined);
      assert.deepEqual(signalled, [a.task.guid, b.task.guid]);
    });
  },
  { runnerSlots: 0 },
);
