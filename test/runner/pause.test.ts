// Pausing real task processes: the whole group is stopped (no output, no CPU time) until resumed,
// a paused task can be cancelled (its TERM trap runs: the group is continued after the signal),
// time spent paused does not count towards its timeout, pauses and resumes committed on another
// node are followed by polling, and paused tasks of a dead runner are failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeEachStore, type Harness } from '../support/harness.js';
import { ownV1Dirs } from '../../src/runner/limits/cgroup-v1.mjs';
import {
  createTask,
  eventually,
  groupAlive,
  groupProcesses,
  hostWorkDir,
  insertTask,
  outputOf,
  runnableApp,
  shellPidOf,
  sleep,
  taskRow,
  waitForTask,
} from './helpers.js';

const cpuOf = (pgid: number) => groupProcesses(pgid).reduce((sum, p) => sum + p.cpu, 0);

/** The task's freezer cgroup, where the host gives taskd one (the supervisor shares this process's cgroups). */
function freezerOf(guid: string): string | undefined {
  const own = ownV1Dirs(['freezer']).freezer;
  return own && existsSync(`${own}/taskd-${guid}`) ? `${own}/taskd-${guid}` : undefined;
}

/**
 * Whether the task is paused: its freezer cgroup says FROZEN where it has one, else every process
 * of its group is stopped (state T); either way the group has processes.
 */
function allStopped(pgid: number, guid: string): boolean {
  const processes = groupProcesses(pgid);
  if (!processes.length) return false;
  const freezer = freezerOf(guid);
  if (freezer) return readFileSync(`${freezer}/freezer.state`, 'utf8').trim() === 'FROZEN';
  return processes.every((p) => p.state === 'T');
}

/** Whether the task runs again: thawed, and some process of its group not stopped. */
function runsAgain(pgid: number, guid: string): boolean {
  const freezer = freezerOf(guid);
  if (freezer && readFileSync(`${freezer}/freezer.state`, 'utf8').trim() !== 'THAWED') return false;
  return groupProcesses(pgid).some((p) => p.state !== 'T');
}

async function act(h: Harness, guid: string, action: 'pause' | 'resume' | 'cancel'): Promise<any> {
  const res = await h.post(`/v3/tasks/${guid}/actions/${action}`, undefined);
  assert.equal(res.status, 202, res.text);
  return res.body;
}

const inState = (h: Harness, guid: string, state: string) => waitForTask(h, guid, (t) => t.state === state);

/** Prints and burns CPU in turn, forever. */
const BUSY = 'echo $$; while true; do echo tick; i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; done';

describeEachStore(
  'pausing running tasks',
  (h) => {
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
      assert.ok(allStopped(pid, created.guid), 'every process of the group is stopped');
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
      assert.ok(runsAgain(pid, created.guid));

      await act(h, created.guid, 'pause');
      await inState(h, created.guid, 'PAUSED');
      await act(h, created.guid, 'cancel');
      const done = await waitForTask(h, created.guid);
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'task was cancelled');
      await eventually('the process group is gone', () => !groupAlive(pid));
      // Its messages tell the whole story, as the dashboard and `taskd` show them.
      const messages = await h.get(`/v3/tasks/${created.guid}/messages`);
      assert.equal(messages.status, 200, messages.text);
      assert.deepEqual(
        messages.body.resources.map((m: { source: string; text: string }) => `${m.source}: ${m.text}`),
        ['runner: started', 'runner: paused', 'runner: resumed', 'runner: paused', 'runner: cancelled'],
      );
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

    test("pause freezes processes that left the task's process group with setsid; resume thaws them", async (t) => {
      // Without a freezer cgroup pause can only stop the process group (said in GET /v3/info).
      if (!ownV1Dirs(['freezer']).freezer || process.getuid?.() !== 0) return t.skip('needs the cgroup v1 freezer (taskd as root)');
      const { app } = await runnableApp(h);
      const created = await createTask(
        h,
        app.guid,
        `setsid sh -c 'while :; do date +%s%N >> t; sleep 0.05; done' & echo started; sleep 300`,
      );
      const marker = path.join(hostWorkDir(h, created.guid), 't');
      await eventually('the setsid process writes', () => existsSync(marker) && statSync(marker).size > 100);
      await act(h, created.guid, 'pause');
      await inState(h, created.guid, 'PAUSED');
      const size = statSync(marker).size;
      await sleep(1000);
      assert.equal(statSync(marker).size, size, 'the setsid process wrote while the task was PAUSED');
      await act(h, created.guid, 'resume');
      await eventually('it writes again once resumed', () => statSync(marker).size > size);
      await act(h, created.guid, 'cancel');
      assert.equal((await waitForTask(h, created.guid)).failure_reason, 'task was cancelled');
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
      assert.ok(allStopped(pid, created.guid));
      await h.db.updateTable('tasks').set({ state: 'RUNNING' }).where('guid', '=', created.guid).execute();
      await eventually('the group runs again', () => runsAgain(pid, created.guid));
      await act(h, created.guid, 'cancel');
      assert.equal((await waitForTask(h, created.guid)).failure_reason, 'task was cancelled');
      await eventually('the process group is gone', () => !groupAlive(pid));
    });

    test('PAUSING and PAUSED tasks of a runner that is gone are failed', async () => {
      const { app } = await runnableApp(h);
      const rows = [
        await insertTask(h, app.guid, { state: 'PAUSED', runner_id: 'gone' }),
        await insertTask(h, app.guid, { state: 'PAUSING', runner_id: 'gone' }),
      ];
      for (const row of rows) {
        const done = await waitForTask(h, row.guid);
        assert.equal(done.state, 'FAILED');
        assert.equal(done.failure_reason, 'Unable to determine completion status');
      }
    });
  },
  { cancelGraceSeconds: 1, runnerLeaseSeconds: 3 },
);
