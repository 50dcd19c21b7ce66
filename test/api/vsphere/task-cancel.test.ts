import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../../support/harness.js';
import { sharedRoleMatrix, ROLES, type RoleName } from '../../support/role-matrix.js';
import { freshSpace, newSleepingTask, pretendRunnerElsewhere } from '../../support/tasks.js';
import { apiError, call, fixtureSession, restError } from './helpers.js';

const stateOf = async (h: any, guid: string) =>
  h.db.selectFrom('tasks').select(['state', 'failure_reason']).where('guid', '=', guid).executeTakeFirstOrThrow();

/** As if a runner elsewhere had claimed it, so the cancel leaves it CANCELING for that runner. */
const markRunning = (h: any, guid: string) =>
  h.db
    .updateTable('tasks')
    .set({ state: 'RUNNING', runner_id: 'elsewhere', started_at: new Date().toISOString() })
    .where('guid', '=', guid)
    .execute();

describeEachStore(
  'cancelling tasks: POST /rest/cis/tasks/{task}?action=cancel and /api',
  (h) => {
    const matrix = sharedRoleMatrix(h);
    const signalled: string[] = [];
    let session: string;

    before(async () => {
      await pretendRunnerElsewhere(h);
      h.taskd.ctx.signals.onCancelRequested((guid) => signalled.push(guid));
      session = await fixtureSession(h);
    });

    for (const [label, url] of [
      ['/rest action', '/rest/cis/tasks/:t?action=cancel'],
      ['/rest ~action', '/rest/cis/tasks/:t?~action=cancel'],
      ['/rest id: form', '/rest/cis/tasks/id::t?action=cancel'],
    ]) {
      test(`${label}: a running task answers 200 with no body; it is CANCELING, its runner told, vSphere shows it not cancelable`, async () => {
        const { space } = await freshSpace(h);
        const { task } = await newSleepingTask(h, space.guid);
        await markRunning(h, task.guid);
        const res = await call(h, 'POST', url.replace(':t', task.guid), session);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.text, '');
        assert.equal((await stateOf(h, task.guid)).state, 'CANCELING');
        assert.ok(signalled.includes(task.guid));
        const info = (await call(h, 'GET', `/rest/cis/tasks/${task.guid}`, session)).body.value;
        assert.equal(info.status, 'RUNNING');
        assert.equal(info.cancelable, false);
      });
    }

    test('/api: 204; a task no runner took ends FAILED with a CANCELED error', async () => {
      const { space } = await freshSpace(h);
      const { task } = await newSleepingTask(h, space.guid);
      const res = await call(h, 'POST', `/api/cis/tasks/${task.guid}?action=cancel`, session);
      assert.equal(res.status, 204, res.text);
      assert.equal(res.text, '');
      assert.deepEqual(await stateOf(h, task.guid), { state: 'FAILED', failure_reason: 'task was cancelled' });
      const info = (await call(h, 'GET', `/api/cis/tasks/${task.guid}`, session)).body;
      assert.equal(info.status, 'FAILED');
      assert.equal(info.error.error_type, 'CANCELED');
    });

    test("the cancel is the CF cancel: the same audit event, by the session's user", async () => {
      const { space } = await freshSpace(h);
      const { app, task } = await newSleepingTask(h, space.guid);
      await markRunning(h, task.guid);
      assert.equal((await call(h, 'POST', `/api/cis/tasks/${task.guid}?action=cancel`, session)).status, 204);
      const events = await h.get(`/v3/audit_events?types=audit.app.task.cancel&target_guids=${app.guid}`);
      assert.equal(events.body.resources.length, 1);
      assert.deepEqual(events.body.resources[0].actor, { guid: h.admin.guid, type: 'user', name: 'admin' });
    });

    test('a finished task is 400 not_allowed_in_current_state and stays as it was', async () => {
      const { space } = await freshSpace(h);
      const { task } = await newSleepingTask(h, space.guid);
      await h.db.updateTable('tasks').set({ state: 'SUCCEEDED', exit_status: 0 }).where('guid', '=', task.guid).execute();
      restError(
        await call(h, 'POST', `/rest/cis/tasks/${task.guid}?action=cancel`, session),
        400,
        'not_allowed_in_current_state',
        'already completed or been canceled',
      );
      apiError(await call(h, 'POST', `/api/cis/tasks/${task.guid}?action=cancel`, session), 400, 'NOT_ALLOWED_IN_CURRENT_STATE');
      assert.equal((await stateOf(h, task.guid)).state, 'SUCCEEDED');
    });

    test('an unknown task is 404 not_found', async () => {
      restError(await call(h, 'POST', '/rest/cis/tasks/no-such-task?action=cancel', session), 404, 'not_found', 'no-such-task');
      apiError(await call(h, 'POST', '/api/cis/tasks/no-such-task?action=cancel', session), 404, 'NOT_FOUND', 'no-such-task');
    });

    test('without action=cancel, or with another action, is 400 invalid_argument', async () => {
      const { space } = await freshSpace(h);
      const { task } = await newSleepingTask(h, space.guid);
      restError(await call(h, 'POST', `/rest/cis/tasks/${task.guid}`, session), 400, 'invalid_argument', 'action=cancel');
      restError(
        await call(h, 'POST', `/rest/cis/tasks/${task.guid}?action=pause`, session),
        400,
        'invalid_argument',
        "Unknown action 'pause'",
      );
      apiError(await call(h, 'POST', `/api/cis/tasks/${task.guid}?~action=cancel`, session), 400, 'INVALID_ARGUMENT', "'~action'");
      assert.equal((await stateOf(h, task.guid)).state, 'PENDING');
    });

    // As CF's cancel: developers, supporters and admins may; other readers are refused for want of
    // the privilege; who cannot see the task is told it does not exist.
    const expected: Record<RoleName, 'ok' | 'unauthorized' | 'not_found'> = {
      admin: 'ok',
      admin_read_only: 'unauthorized',
      global_auditor: 'unauthorized',
      org_manager: 'unauthorized',
      org_auditor: 'not_found',
      space_developer: 'ok',
      space_manager: 'unauthorized',
      space_auditor: 'unauthorized',
      space_supporter: 'ok',
      no_role: 'not_found',
    };
    for (const role of ROLES) {
      test(`as ${role}: ${expected[role]} on both wires`, async () => {
        const m = await matrix();
        const own = await fixtureSession(h, { guid: m.guids[role] });
        for (const wire of ['rest', 'api'] as const) {
          const { task } = await newSleepingTask(h, m.space.guid);
          await markRunning(h, task.guid);
          const res = await call(h, 'POST', `/${wire}/cis/tasks/${task.guid}?action=cancel`, own);
          if (expected[role] === 'ok') assert.equal(res.status, wire === 'rest' ? 200 : 204, res.text);
          else if (expected[role] === 'not_found') {
            if (wire === 'rest') restError(res, 404, 'not_found');
            else apiError(res, 404, 'NOT_FOUND');
          } else if (wire === 'rest') restError(res, 401, 'unauthorized');
          else apiError(res, 403, 'UNAUTHORIZED');
          assert.equal((await stateOf(h, task.guid)).state, expected[role] === 'ok' ? 'CANCELING' : 'RUNNING');
        }
      });
    }
  },
  { runnerSlots: 0 },
);
