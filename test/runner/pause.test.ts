// Pausing real task processes: the whole group is stopped (no output, no CPU time) until resumed,
// a paused task can be cancelled (its TERM trap runs: the group is continued after the signal),
// time spent paused does not count towards its timeout, pauses and resumes committed on another
// node are followed by polling, and paused tasks of a dead runner are failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore, type Harness } from '../support/harness.js';
import { createTask, eventually, groupAlive, groupProcesses, insertTask, outputOf, runnableApp, shellPidOf, sleep, taskRow, waitForTask } from './helpers.js';

const cpuOf = (pgid: number) => groupProcesses(pgid).reduce((sum, p) => sum + p.cpu, 0);

/** Whether the group has processes and all are stopped (state T). */
function allStopped(pgid: number): boolean {
  const processes = groupProcesses(pgid);
  return processes.length > 0 && processes.every((p) => p.state === 'T');
}

async function act(h: Harness, guid: string, action: 'pause' | 'resume' | 'cancel'): Promise<any> {
  const res = await h.post(`/v3/tasks/${guid}/actions/${action}`, undefined);
  assert.equal(res.status, 202, res.text);
  return res.body;
}

const inState = (h: Harness, guid: string, state: string) => waitForTask(h, guid, (t) => t.state === state);

/** Prints and burns CPU in turn, forever. */
const BUSY = 'echo $$; while true; do echo tick; i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; done';

describeEachStore('pausing running tasks', (h) => {
  test('a paused task produces no output and no CPU time; resumed, it carries on; cancelled, it ends', async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, BUSY);
    const pid = await shellPidOf(h, created.guid);
    const row = (await taskRow(h, created.guid))!;
    await eventually('it ticks', async () => (await outputOf(h, row.id)).length > 3);

    const paused = await act(h, created.guid, 'pause');
    assert.equal(paused.state, 'RUNNING');
    assert.equal(paused.taskd_state, 'PAUSING');
    await inState(h, created.guid, 'PAUSED');
    assert.ok(allStopped(pid), 'every process of the group is stopped');
    // Output written before the freeze may still be on its way from the pipe.
    await sleep(300);
    const [lines, cpu] = [(await outputOf(h, row.id)).length, cpuOf(pid)];
    await sleep(1000);
    assert.equal((await outputOf(h, row.id)).length, lines, 'no output while paused');
    assert.equal(cpuOf(pid), cpu, 'no CPU time while paused');
    assert.equal((await taskRow(h, created.guid))!.state, 'PAUSED');

    const resumed = await act(h, created.guid, 'resume');
    assert.equal(resumed.taskd_state, 'RUNNING');
    await eventually('it ticks again', async () => (await outputOf(h, row.id)).length > lines + 3);
    assert.ok(cpuOf(pid) > cpu, 'CPU time again');
    assert.ok(groupProcesses(pid).some((p) => p.state !== 'T'));

    await act(h, created.guid, 'pause');
    await inState(h, created.guid, 'PAUSED');
    await act(h, created.guid, 'cancel');
    const done = await waitForTask(h, created.guid);
    assert.equal(done.state, 'FAILED');
    assert.equal(done.failure_reason, 'task was cancelled');
    await eventually('the process group is gone', () => !groupAlive(pid));
  });

  test('cancelling a paused task continues it after SIGTERM, so its TERM trap runs', async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, `trap 'echo got TERM; exit 3' TERM; echo $$; while true; do sleep 0.1; done`);
    const pid = await shellPidOf(h, created.guid);
    await act(h, created.guid, 'pause');
    await inState(h, created.guid, 'PAUSED');
    await act(h, created.guid, 'cancel');
    const done = await waitForTask(h, created.guid);
    assert.equal(done.failure_reason, 'task was cancelled');
    assert.equal(done.exit_status, 3, 'it ended by its trap, not by SIGKILL');
    assert.ok((await outputOf(h, done.id)).some((l) => l.text.includes('got TERM')));
    await eventually('the process group is gone', () => !groupAlive(pid));
  });

  test('time spent paused does not count towards the timeout', async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, 'echo $$; sleep 300', { timeout_in_seconds: 2 });
    const pid = await shellPidOf(h, created.guid);
    await act(h, created.guid, 'pause');
    await inState(h, created.guid, 'PAUSED');
    await sleep(3000);
    assert.equal((await taskRow(h, created.guid))!.state, 'PAUSED', 'not timed out while paused');
    await act(h, created.guid, 'resume');
    const done = await waitForTask(h, created.guid);
    assert.equal(done.state, 'FAILED');
    assert.equal(done.failure_reason, 'Task timed out after 2 seconds');
    await eventually('the process group is gone', () => !groupAlive(pid));
  });

  test('a pause and a resume committed on another node (no signal here) are followed by polling', async () => {
    const { app } = await runnableApp(h);
    const created = await createTask(h, app.guid, BUSY);
    const pid = await shellPidOf(h, created.guid);
    await h.db.updateTable('tasks').set({ state: 'PAUSING' }).where('guid', '=', created.guid).execute();
    await inState(h, created.guid, 'PAUSED');
    assert.ok(allStopped(pid));
    await h.db.updateTable('tasks').set({ state: 'RUNNING' }).where('guid', '=', created.guid).execute();
    await eventually('the group runs again', () => groupProcesses(pid).some((p) => p.state !== 'T'));
    await act(h, created.guid, 'cancel');
    assert.equal((await waitForTask(h, created.guid)).failure_reason, 'task was cancelled');
    await eventually('the process group is gone', () => !groupAlive(pid));
  });

  test('PAUSING and PAUSED tasks of a runner that is gone are failed', async () => {
    const { app } = await runnableApp(h);
    const rows = [await insertTask(h, app.guid, { state: 'PAUSED', runner_id: 'gone' }), await insertTask(h, app.guid, { state: 'PAUSING', runner_id: 'gone' })];
    for (const row of rows) {
      const done = await waitForTask(h, row.guid);
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'Unable to determine completion status');
    }
  });
}, { cancelGraceSeconds: 1, runnerLeaseSeconds: 3 });
