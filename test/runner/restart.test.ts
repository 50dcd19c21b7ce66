// Restarts lose nothing: taskd killed with SIGKILL while tasks run leaves them running under the
// task supervisor, and the next taskd takes them back — each ends as it really did, with every
// line of its output, and none is left unfinished. taskd runs here as a real process (the
// harness's own node runs no tasks: runnerSlots 0), on the harness's data directory and store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeEachStore, type Harness } from '../support/harness.js';
import { TaskdProcess } from '../support/taskd-process.js';
import { supervisorPidOf } from '../support/supervisor-pid.js';
import { isTerminal } from '../../src/core/task-states.js';
import {
  createTask,
  eventually,
  groupAlive,
  outputOf,
  hostWorkDir,
  runnableApp,
  shellPidOf,
  sleep,
  taskRow,
  waitForTask,
} from './helpers.js';

const SLOTS = { TASKD_RUNNER_SLOTS: '20' };
const LINES = 40;

/** The pid of the supervisor serving this harness's data directory. */
const supervisorPid = (h: Harness) => supervisorPidOf(h.config.dataDir);

async function lineCount(h: Harness, guid: string): Promise<number> {
  const row = await taskRow(h, guid);
  return row ? (await outputOf(h, row.id)).length : 0;
}

describeEachStore(
  'taskd restarts',
  (h) => {
    test('killed with SIGKILL while 20 tasks run, taskd restarted records each true end and all its output', async () => {
      const { app } = await runnableApp(h);
      let taskd = await TaskdProcess.start(h, SLOTS);
      try {
        // Nineteen print a line every 100 ms and exit 0, 1 or 2; the twentieth waits to be cancelled.
        const counted = [];
        for (let n = 1; n <= 19; n++) {
          counted.push({
            n,
            task: await createTask(
              h,
              app.guid,
              `i=1; while [ $i -le ${LINES} ]; do echo "task ${n} line $i"; i=$((i+1)); sleep 0.1; done; exit ${n % 3}`,
            ),
          });
        }
        const sleeper = await createTask(h, app.guid, 'echo waiting; exec sleep 600');
        for (const { task } of counted)
          await eventually(`task ${task.guid} is part-way`, async () => (await lineCount(h, task.guid)) >= 3, 60_000);
        await eventually('the sleeper runs', async () => (await lineCount(h, sleeper.guid)) === 1, 60_000);

        await taskd.kill('SIGKILL');
        // Cancelled while no taskd runs it: the next one finishes the cancel.
        const cancel = await h.post(`/v3/tasks/${sleeper.guid}/actions/cancel`, {});
        assert.equal(cancel.status, 202, cancel.text);
        assert.ok(supervisorPid(h), 'the supervisor outlives taskd');
        await sleep(1000);
        taskd = await TaskdProcess.start(h, SLOTS);

        for (const { n, task } of counted) {
          const done = await waitForTask(h, task.guid, (t) => isTerminal(t.state), 90_000);
          const status = n % 3;
          assert.equal(done.state, status === 0 ? 'SUCCEEDED' : 'FAILED', `task ${n}: ${done.failure_reason}\n${taskd.log}`);
          assert.equal(done.exit_status, status);
          assert.equal(done.failure_reason, status === 0 ? null : `Exited with status ${status}`);
          const lines = await outputOf(h, done.id);
          assert.deepEqual(
            lines.map((l) => l.text),
            Array.from({ length: LINES }, (_, i) => `task ${n} line ${i + 1}`),
            `task ${n}'s output`,
          );
          assert.deepEqual(
            lines.map((l) => l.seq),
            Array.from({ length: LINES }, (_, i) => i + 1),
          );
        }
        const cancelled = await waitForTask(h, sleeper.guid, (t) => isTerminal(t.state), 90_000);
        assert.equal(cancelled.state, 'FAILED');
        assert.equal(cancelled.failure_reason, 'task was cancelled');
        assert.deepEqual(
          (await outputOf(h, cancelled.id)).map((l) => l.text),
          ['waiting'],
        );

        const unfinished = await h.db
          .selectFrom('tasks')
          .select('guid')
          .where('app_id', '=', (await taskRow(h, sleeper.guid))!.app_id)
          .where('finished_at', 'is', null)
          .execute();
        assert.deepEqual(unfinished, []);
      } finally {
        await taskd.kill('SIGTERM');
      }
      await eventually('the supervisor exits once taskd stopped and no task runs', () => supervisorPid(h) === undefined);
    });

    test('a task whose supervisor died too ends FAILED "Unable to determine completion status" with the output it had', async () => {
      const { app } = await runnableApp(h);
      let taskd = await TaskdProcess.start(h);
      try {
        const task = await createTask(h, app.guid, 'echo $$; echo before; exec sleep 600');
        const pgid = await shellPidOf(h, task.guid);
        await eventually('the task printed', async () => (await lineCount(h, task.guid)) === 2, 60_000);
        const supervisor = supervisorPid(h);
        assert.ok(supervisor);
        await taskd.kill('SIGKILL');
        process.kill(supervisor, 'SIGKILL');
        taskd = await TaskdProcess.start(h);

        const done = await waitForTask(h, task.guid, (t) => isTerminal(t.state), 60_000);
        assert.equal(done.state, 'FAILED');
        assert.equal(done.failure_reason, 'Unable to determine completion status');
        assert.equal((await outputOf(h, done.id))[1]?.text, 'before');
        // Nobody could read its output any more: the new supervisor ended it.
        await eventually('the orphaned task is gone', () => !groupAlive(pgid));
      } finally {
        await taskd.kill('SIGTERM');
      }
    });

    test('a supervisor killed while taskd lagged behind it: the task that ended meanwhile is recorded as it ended, from its spool', async () => {
      const { app } = await runnableApp(h);
      const taskd = await TaskdProcess.start(h);
      let stopped = false;
      try {
        // Both wait for a file the test puts in their directories once taskd is stopped; then one
        // floods its output (filling the socket to taskd, so what follows waits in the supervisor)
        // and the other exits 3 a moment later.
        const flood = await createTask(
          h,
          app.guid,
          'echo $$; while [ ! -e go ]; do sleep 0.05; done; yes flood | head -c 5000000; exec sleep 600',
        );
        const quick = await createTask(h, app.guid, 'echo $$; while [ ! -e go ]; do sleep 0.05; done; sleep 2; exit 3');
        const floodGroup = await shellPidOf(h, flood.guid);
        await shellPidOf(h, quick.guid);
        const supervisor = supervisorPid(h);
        assert.ok(supervisor);

        process.kill(taskd.pid, 'SIGSTOP');
        stopped = true;
        for (const task of [flood, quick]) writeFileSync(path.join(hostWorkDir(h, task.guid), 'go'), '');
        const spool = path.join(h.config.dataDir, 'run', 'tasks', `${quick.guid}.spool`);
        await eventually("the quick task's end is in its spool", () => readFileSync(spool, 'utf8').includes('"exit"'), 60_000);
        process.kill(supervisor, 'SIGKILL');
        process.kill(taskd.pid, 'SIGCONT');
        stopped = false;

        const done = await waitForTask(h, quick.guid, (t) => isTerminal(t.state), 60_000);
        assert.equal(done.state, 'FAILED', taskd.log);
        assert.equal(done.failure_reason, 'Exited with status 3');
        assert.equal(done.exit_status, 3);
        assert.equal((await outputOf(h, done.id)).length, 1);
        const lost = await waitForTask(h, flood.guid, (t) => isTerminal(t.state), 60_000);
        assert.equal(lost.failure_reason, 'Unable to determine completion status');
        await eventually('the flooding task is gone', () => !groupAlive(floodGroup));
      } finally {
        if (stopped) process.kill(taskd.pid, 'SIGCONT');
        await taskd.kill('SIGTERM');
      }
    });
  },
  { runnerSlots: 0 },
);
