// Several real taskd processes on one PostgreSQL: an api node (the harness, no runner) and two
// runner processes, each with a data directory of its own (as on other hosts: droplets reach them
// through the database). Many tasks created on the api node each run exactly once, spread
// over both runners; a runner killed with SIGKILL loses its tasks to a clear end once its lease
// expires, while the other keeps working.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Harness, PG_URL } from '../support/harness.js';
import { followLiveLog } from '../support/live-log.js';
import { TaskdProcess } from '../support/taskd-process.js';
import { isTerminal } from '../../src/core/task-states.js';
import { createTask, eventually, runnableApp, waitForTask } from './helpers.js';

const skip = PG_URL ? false : 'TASKD_TEST_PG_URL is not set: no PostgreSQL to run several nodes on';
if (skip) console.log(`# several-process tests skipped: ${skip}`);

const TASKS = 2000;
const LEASE_SECONDS = 4;

/** Whether any process of this task runs on this host (found by its environment in /proc). */
function taskProcessRuns(guid: string): boolean {
  const marker = `\0TASKD_TASK_GUID=${guid}\0`;
  return readdirSync('/proc').some((name) => {
    try {
      return /^\d+$/.test(name) && `\0${readFileSync(`/proc/${name}/environ`, 'latin1')}`.includes(marker);
    } catch {
      return false;
    }
  });
}

describe('one api node and two runner processes on one PostgreSQL', { skip }, () => {
  const h = new Harness('postgres', { role: 'api', runnerLeaseSeconds: LEASE_SECONDS });
  const runners: TaskdProcess[] = [];
  const dirs: string[] = [];

  /** A runner process with a data directory of its own. */
  async function startRunner(): Promise<TaskdProcess> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-runner-'));
    dirs.push(dataDir);
    // Unsandboxed: what is measured here is where tasks run and how often, and bubblewrap's start
    // (tested elsewhere) would only slow thousands of tasks down.
    const runner = await TaskdProcess.start(
      h,
      {
        TASKD_ROLE: 'runner',
        TASKD_RUNNER_SLOTS: '10',
        // One organization fills every slot here: none is kept for another (fair-scheduling.test.ts).
        TASKD_RUNNER_RESERVED_SLOTS: '0',
        TASKD_RUNNER_LEASE_SECONDS: String(LEASE_SECONDS),
        TASKD_SANDBOX: 'none',
      },
      dataDir,
    );
    runners.push(runner);
    return runner;
  }

  before(async () => {
    await h.start();
    await startRunner();
    await startRunner();
  });
  after(async () => {
    for (const runner of runners) await runner.kill('SIGTERM');
    await h.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test(`${TASKS} tasks created on the api node each run exactly once, on both runners, and succeed`, async () => {
    const { app } = await runnableApp(h);
    // Ten clients creating at once, as a busy api node would see them.
    const statuses: number[] = [];
    const client = async () => {
      while (statuses.length < TASKS) {
        const i = statuses.push(0) - 1;
        statuses[i] = (await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'true' })).status;
      }
    };
    await Promise.all(Array.from({ length: 10 }, client));
    assert.equal(statuses.length, TASKS);
    assert.deepEqual([...new Set(statuses)], [202]);
    const appRow = await h.db.selectFrom('apps').select('id').where('guid', '=', app.guid).executeTakeFirstOrThrow();
    await eventually(
      'every task ended',
      async () => {
        const open = await h.db
          .selectFrom('tasks')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('app_id', '=', appRow.id)
          .where('finished_at', 'is', null)
          .executeTakeFirstOrThrow();
        return Number(open.n) === 0;
      },
      600_000,
    );

    const byState = await h.db
      .selectFrom('tasks')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('app_id', '=', appRow.id)
      .groupBy('state')
      .execute();
    assert.deepEqual(
      byState.map((r) => [r.state, Number(r.n)]),
      [['SUCCEEDED', TASKS]],
    );
    const byRunner = await h.db
      .selectFrom('tasks')
      .select(['runner_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('app_id', '=', appRow.id)
      .groupBy('runner_id')
      .execute();
    assert.equal(byRunner.length, 2, `work is spread over both runners: ${JSON.stringify(byRunner)}`);
    for (const share of byRunner) assert.ok(Number(share.n) > TASKS / 10, `each runner took a fair share: ${JSON.stringify(byRunner)}`);
    // Each run says "started" once: a task run twice would have said it twice.
    const starts = await h.db
      .selectFrom('task_messages')
      .innerJoin('tasks', 'tasks.id', 'task_messages.task_id')
      .select(['task_messages.task_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('tasks.app_id', '=', appRow.id)
      .where('task_messages.text', '=', 'started')
      .groupBy('task_messages.task_id')
      .execute();
    assert.equal(
      starts.length,
      TASKS,
      runners
        .map((r) =>
          r.log
            .split('\n')
            .filter((l) => /fail|error/i.test(l))
            .slice(0, 20)
            .join('\n'),
        )
        .join('\n---\n'),
    );
    assert.deepEqual([...new Set(starts.map((s) => Number(s.n)))], [1]);
  });

  test('pause and cancel sent to the api node take effect on a runner process; its output streams live through the api node', async () => {
    const { app } = await runnableApp(h);
    const sleeper = await createTask(h, app.guid, 'exec sleep 600');
    await waitForTask(h, sleeper.guid, (t) => t.state === 'RUNNING', 60_000);
    assert.equal((await h.post(`/v3/tasks/${sleeper.guid}/actions/pause`, {})).status, 202);
    await waitForTask(h, sleeper.guid, (t) => t.state === 'PAUSED');
    assert.equal((await h.post(`/v3/tasks/${sleeper.guid}/actions/cancel`, {})).status, 202);
    assert.equal((await waitForTask(h, sleeper.guid)).failure_reason, 'task was cancelled');

    await h.taskd.app.listen({ host: '127.0.0.1', port: 0 });
    const address = h.taskd.app.server.address();
    assert.ok(address && typeof address === 'object');
    const task = await createTask(h, app.guid, 'for i in 1 2 3 4; do echo tick-$i; sleep 0.5; done');
    const log = await followLiveLog(
      `http://127.0.0.1:${address.port}`,
      task.guid,
      h.admin.token,
      'tick-1',
      async () => (await h.db.selectFrom('tasks').select('state').where('guid', '=', task.guid).executeTakeFirst())?.state,
    );
    assert.equal(log.stateAtFirstLine, 'RUNNING', 'the first line arrived while the task still ran');
    assert.deepEqual(log.lines, ['tick-1', 'tick-2', 'tick-3', 'tick-4']);
  });

  test('a runner killed with SIGKILL: after its lease its tasks end with a clear reason, and the other runner keeps working', async () => {
    const { app } = await runnableApp(h);
    const sleepers = [];
    for (let i = 0; i < 20; i++) sleepers.push(await createTask(h, app.guid, 'exec sleep 600'));
    for (const task of sleepers) await waitForTask(h, task.guid, (t) => t.state === 'RUNNING', 60_000);
    const victim = runners[0]!;
    const victimId = (await h.db.selectFrom('runners').select('id').where('pid', '=', victim.pid).executeTakeFirstOrThrow()).id;
    await victim.kill('SIGKILL');

    for (const task of sleepers) {
      const row = await waitForTask(h, task.guid, (t) => t.runner_id !== victimId || isTerminal(t.state), 60_000);
      if (row.runner_id !== victimId) continue;
      assert.equal(row.state, 'FAILED');
      assert.equal(row.failure_reason, 'Unable to determine completion status');
      const messages = await h.get(`/v3/tasks/${task.guid}/messages`);
      assert.match(
        messages.body.resources.at(-1).text,
        new RegExp(`^its runner on .+ \\(pid ${victim.pid}\\) was lost: no heartbeat for ${LEASE_SECONDS} s$`),
      );
    }
    const lost = await h.db.selectFrom('tasks').select('guid').where('runner_id', '=', victimId).execute();
    assert.ok(lost.length > 0, 'the killed runner had tasks');
    const survivors = await h.db
      .selectFrom('tasks')
      .select('state')
      .where(
        'guid',
        'in',
        sleepers.map((t) => t.guid),
      )
      .where('runner_id', '!=', victimId)
      .execute();
    assert.ok(
      survivors.length > 0 && survivors.every((t) => t.state === 'RUNNING'),
      `the other runner's tasks run on: ${JSON.stringify(survivors)}`,
    );

    // The survivor's own tasks are untouched; cancelled, they free its slots for new work.
    for (const task of sleepers) await h.post(`/v3/tasks/${task.guid}/actions/cancel`, {});
    for (const task of sleepers) assert.ok(isTerminal((await waitForTask(h, task.guid, (t) => isTerminal(t.state), 60_000)).state));
    const after = await createTask(h, app.guid, 'echo still here');
    assert.equal((await waitForTask(h, after.guid, (t) => isTerminal(t.state), 60_000)).state, 'SUCCEEDED');

    // Their processes ran on under the killed runner's supervisor only until its lease had
    // passed: with no taskd back by then, the supervisor stopped them itself.
    await eventually("the lost tasks' processes are gone, with no restart", () => !lost.some((t) => taskProcessRuns(t.guid)), 30_000);
  });
});
