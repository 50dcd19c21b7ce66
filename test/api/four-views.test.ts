// One task, four views: the same real task read through the Cloud Foundry, Astra, vSphere and
// Dbvisit APIs at each step of its life shows the same state (through the mapping of DESIGN.md),
// times, progress, parent and owner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore, type Harness } from '../support/harness.js';
import { listenForTasks, tokenOf } from '../support/task-token.js';
import { createTask, eventually, runnableApp, taskRow, waitForTask } from '../runner/helpers.js';

/** The core state as each dialect names it (DESIGN.md "How the views map"). */
const VIEWS = {
  PENDING: { cf: 'PENDING', astra: 'notStarted', vsphere: 'PENDING', cancelable: true, dbvisit: 'In Progress' },
  RUNNING: { cf: 'RUNNING', astra: 'running', vsphere: 'RUNNING', cancelable: true, dbvisit: 'In Progress' },
  PAUSED: { cf: 'RUNNING', astra: 'paused', vsphere: 'BLOCKED', cancelable: true, dbvisit: 'In Progress' },
  CANCELING: { cf: 'CANCELING', astra: 'cancelling', vsphere: 'RUNNING', cancelable: false, dbvisit: 'In Progress' },
  CANCELLED: { cf: 'FAILED', astra: 'cancelled', vsphere: 'FAILED', cancelable: false, dbvisit: 'Failed' },
  SUCCEEDED: { cf: 'SUCCEEDED', astra: 'completed', vsphere: 'SUCCEEDED', cancelable: false, dbvisit: 'End' },
} as const;
type Step = keyof typeof VIEWS;

/** A timestamp of any of the four formats, to the second (CF shows whole seconds). */
const second = (t: string | undefined) => (t ? Math.floor(Date.parse(t) / 1000) : undefined);

interface Views {
  cf: any;
  astra: any;
  vsphere: any;
  dbvisit: any;
}

async function vsphereSession(h: Harness): Promise<string> {
  const res = await h.request('POST', '/api/session', {
    headers: { authorization: `Basic ${Buffer.from(`admin:${h.adminPassword}`).toString('base64')}` },
  });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function readViews(h: Harness, session: string, orgGuid: string, guid: string): Promise<Views> {
  const row = await taskRow(h, guid);
  const [cf, astra, vsphere, dbvisit] = await Promise.all([
    h.get(`/v3/tasks/${guid}`),
    h.get(`/accounts/${orgGuid}/core/v1/tasks/${guid}`),
    h.request('GET', `/api/cis/tasks/${guid}`, { headers: { 'vmware-api-session-id': session } }),
    h.request('POST', '/task/show', { token: h.admin.token, body: { params: { task_id: row!.id } } }),
  ]);
  for (const res of [cf, astra, vsphere, dbvisit]) assert.equal(res.status, 200, res.text);
  return { cf: cf.body, astra: astra.body, vsphere: vsphere.body, dbvisit: dbvisit.body.result };
}

/** Reads all four views and checks that they agree with each other and with the expected step. */
async function expectViews(h: Harness, session: string, orgGuid: string, guid: string, step: Step): Promise<Views> {
  const views = await readViews(h, session, orgGuid, guid);
  const { cf, astra, vsphere, dbvisit } = views;
  const want = VIEWS[step];
  const states = { cf: cf.state, astra: astra.state, vsphere: vsphere.status, cancelable: vsphere.cancelable, dbvisit: dbvisit.state };
  assert.deepEqual(states, want, `${step}: ${JSON.stringify(states)}`);
  if (step === 'PAUSED') assert.equal(cf.taskd_state, 'PAUSED');
  if (step === 'CANCELLED') {
    assert.equal(cf.result.failure_reason, 'task was cancelled');
    assert.equal(vsphere.error.error_type, 'CANCELED');
  }

  // The same task, created by the same user.
  assert.equal(astra.id, guid);
  assert.equal(astra.userID, h.admin.guid);
  assert.equal(astra.metadata.createdBy, h.admin.guid);
  assert.equal(vsphere.user, 'admin');
  assert.equal(dbvisit.performed_by, 'admin');
  assert.equal(dbvisit.title, cf.name);
  assert.equal(second(astra.metadata.creationTimestamp), second(cf.created_at));

  // Started and finished at the same moments.
  assert.equal(second(astra.startTime), second(vsphere.start_time));
  assert.equal(second(astra.startTime), second(dbvisit.started || undefined));
  assert.equal(second(astra.endTime), second(vsphere.end_time));
  assert.equal(second(astra.endTime), second(dbvisit.finished || undefined));

  // The same progress and parent.
  const percent = cf.progress?.percent;
  if (step === 'SUCCEEDED') assert.equal(astra.percentDone, 100);
  else assert.equal(astra.percentDone, percent);
  assert.equal(vsphere.progress?.completed ?? 0, step === 'SUCCEEDED' ? 100 : (percent ?? 0));
  assert.equal(astra.parentTaskID, cf.parent_task_guid ?? undefined);
  assert.equal(vsphere.parent, cf.parent_task_guid ?? undefined);
  return views;
}

describeEachStore(
  'one task, four views',
  (h) => {
    listenForTasks(h);

    test('PENDING → RUNNING → PAUSED → RUNNING → CANCELING → FAILED, read through all four APIs at each step', async () => {
      const { org, app } = await runnableApp(h);
      const session = await vsphereSession(h);
      // Both slots are taken, so the walked task waits PENDING.
      const blockers = [await createTask(h, app.guid, 'exec sleep 600'), await createTask(h, app.guid, 'exec sleep 600')];
      for (const blocker of blockers) await waitForTask(h, blocker.guid, (t) => t.state === 'RUNNING');
      // It lingers on SIGTERM, so CANCELING lasts long enough to be read.
      const task = await createTask(h, app.guid, 'trap "sleep 3; exit 0" TERM; echo "$TASKD_TASK_TOKEN"; sleep 600 & wait', {
        name: 'walked',
      });
      await expectViews(h, session, org.guid, task.guid, 'PENDING');

      await h.post(`/v3/tasks/${blockers[0]!.guid}/actions/cancel`, {});
      const token = await tokenOf(h, task.guid);
      const progress = await h.request('POST', `/v3/tasks/${task.guid}/progress`, { token, body: { percent: 40, message: 'half way' } });
      assert.equal(progress.status, 200, progress.text);
      await expectViews(h, session, org.guid, task.guid, 'RUNNING');

      assert.equal((await h.post(`/v3/tasks/${task.guid}/actions/pause`, {})).status, 202);
      await waitForTask(h, task.guid, (t) => t.state === 'PAUSED');
      await expectViews(h, session, org.guid, task.guid, 'PAUSED');

      assert.equal((await h.post(`/v3/tasks/${task.guid}/actions/resume`, {})).status, 202);
      await waitForTask(h, task.guid, (t) => t.state === 'RUNNING');
      await expectViews(h, session, org.guid, task.guid, 'RUNNING');

      assert.equal((await h.post(`/v3/tasks/${task.guid}/actions/cancel`, {})).status, 202);
      await expectViews(h, session, org.guid, task.guid, 'CANCELING');

      await waitForTask(h, task.guid);
      const ended = await expectViews(h, session, org.guid, task.guid, 'CANCELLED');
      await h.post(`/v3/tasks/${blockers[1]!.guid}/actions/cancel`, {});
      assert.ok(ended.astra.cancelTime, 'Astra shows when it was cancelled');
    });

    test('a subtask that succeeds shows its parent and full progress in every view, and a dismissal shows only in Dbvisit', async () => {
      const { org, app } = await runnableApp(h);
      const session = await vsphereSession(h);
      const parent = await createTask(h, app.guid, 'echo "$TASKD_TASK_TOKEN"; exec sleep 600');
      const token = await tokenOf(h, parent.guid);
      const created = await h.request('POST', `/v3/apps/${app.guid}/tasks`, {
        token,
        body: { command: 'echo done', parent_task_guid: parent.guid },
      });
      assert.equal(created.status, 202, created.text);
      const child = created.body;
      await waitForTask(h, child.guid);
      const views = await expectViews(h, session, org.guid, child.guid, 'SUCCEEDED');
      assert.equal(views.cf.parent_task_guid, parent.guid);
      assert.equal(views.astra.name, 'taskd.subtask');

      const row = await taskRow(h, child.guid);
      const dismissed = await h.request('POST', '/task/dismiss', { token: h.admin.token, body: { params: { task_id: row!.id } } });
      assert.equal(dismissed.status, 200, dismissed.text);
      const after = await readViews(h, session, org.guid, child.guid);
      assert.equal(after.dbvisit.state, 'Dismissed');
      assert.equal(after.dbvisit.hidden_by, 'admin');
      assert.deepEqual([after.cf.state, after.astra.state, after.vsphere.status], ['SUCCEEDED', 'completed', 'SUCCEEDED']);
      await h.post(`/v3/tasks/${parent.guid}/actions/cancel`, {});
      await eventually('the parent ends', async () => (await taskRow(h, parent.guid))?.finished_at != null);
    });
  },
  { externalUrl: undefined, runnerSlots: 2, cancelGraceSeconds: 10 },
);
