// One tenant cannot starve another (issue 17, finding 3): runners claim fairly across
// organizations instead of first come, keep a reserved slot for an organization with nothing
// running however long another's tasks run, and hold an organization's or space's tasks beyond
// its running limit PENDING until one of its own ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore, type Harness } from '../support/harness.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';
import { createTask, eventually, runnableApp, sleep, taskRow, waitForTask } from './helpers.js';

const cancel = (h: Harness, guid: string) => h.post(`/v3/tasks/${guid}/actions/cancel`, {});

async function cancelAll(h: Harness, tasks: { guid: string }[]) {
  for (const task of tasks) await cancel(h, task.guid);
  for (const task of tasks) await waitForTask(h, task.guid);
}

async function statesOf(h: Harness, tasks: { guid: string }[]): Promise<string[]> {
  const rows = await h.db
    .selectFrom('tasks')
    .select('state')
    .where(
      'guid',
      'in',
      tasks.map((t) => t.guid),
    )
    .execute();
  return rows.map((r) => r.state);
}

const count = (states: string[], state: string) => states.filter((s) => s === state).length;

/** Several claim rounds (the runner polls every second) pass. */
const severalClaimRounds = () => sleep(2500);

describeEachStore(
  'fair claims between organizations (2 slots, none reserved)',
  (h) => {
    test("a queue of 50 tasks of one organization does not hold back another's task", async () => {
      const noisy = await runnableApp(h);
      const queued: { guid: string }[] = [];
      for (let i = 0; i < 50; i++) queued.push(await createTask(h, noisy.app.guid, 'sleep 1'));
      const quiet = await runnableApp(h);
      const task = await createTask(h, quiet.app.guid, 'true');
      const startedWhenCreated = 50 - count(await statesOf(h, queued), 'PENDING');
      const done = await waitForTask(h, task.guid);
      assert.equal(done.state, 'SUCCEEDED', done.failure_reason ?? '');
      const before = await h.db
        .selectFrom('tasks')
        .select('guid')
        .where(
          'guid',
          'in',
          queued.map((t) => t.guid),
        )
        .where('started_at', '<', done.started_at!)
        .execute();
      // At most a claim already under way when it was created (one task per slot) comes first.
      assert.ok(
        before.length <= startedWhenCreated + 2,
        `${before.length} of the queue started before it (${startedWhenCreated} had when it was created)`,
      );
      await cancelAll(h, queued);
    });
  },
  { runnerSlots: 2, runnerReservedSlots: 0, cancelGraceSeconds: 1 },
);

describeEachStore(
  'the reserved slot (4 slots: one reserved by default)',
  (h) => {
    test("one organization's long tasks leave a slot free, and another organization's task starts in it at once", async () => {
      const busy = await runnableApp(h);
      const long: { guid: string }[] = [];
      for (let i = 0; i < 6; i++) long.push(await createTask(h, busy.app.guid, 'exec sleep 300'));
      await eventually('three of them run', async () => count(await statesOf(h, long), 'RUNNING') === 3);
      await severalClaimRounds();
      const states = await statesOf(h, long);
      assert.deepEqual([count(states, 'RUNNING'), count(states, 'PENDING')], [3, 3], 'the busy organization took the reserved slot');

      const quiet = await runnableApp(h);
      const task = await createTask(h, quiet.app.guid, 'exec sleep 300');
      await waitForTask(h, task.guid, (t) => t.state === 'RUNNING');
      await cancelAll(h, [...long, task]);
    });
  },
  { runnerSlots: 4, cancelGraceSeconds: 1 },
);

describeEachStore(
  'running limits per organization (3) and per space (2)',
  (h) => {
    test('tasks beyond a limit wait PENDING, and run when one of their own ends', async () => {
      const { org, space, app } = await runnableApp(h);
      const first: { guid: string }[] = [];
      for (let i = 0; i < 3; i++) first.push(await createTask(h, app.guid, 'exec sleep 300'));
      await eventually('two run', async () => count(await statesOf(h, first), 'RUNNING') === 2);

      const other = (await appWithCurrentDroplet(h, (await h.space(org.guid)).guid)).app;
      const second = [await createTask(h, other.guid, 'exec sleep 300'), await createTask(h, other.guid, 'exec sleep 300')];
      await waitForTask(h, second[0].guid, (t) => t.state === 'RUNNING');
      await severalClaimRounds();
      // The first space is at its limit of 2, and the organization at its 3.
      assert.equal((await taskRow(h, first[2].guid))?.state, 'PENDING', `space ${space.guid} ran a third task`);
      assert.equal((await taskRow(h, second[1].guid))?.state, 'PENDING', 'the organization ran a fourth task');

      // Another organization is not held back by this one's limit.
      const elsewhere = await runnableApp(h);
      const outside = await createTask(h, elsewhere.app.guid, 'exec sleep 300');
      await waitForTask(h, outside.guid, (t) => t.state === 'RUNNING');

      await cancel(h, second[0].guid);
      await waitForTask(h, second[1].guid, (t) => t.state === 'RUNNING');
      assert.equal((await taskRow(h, first[2].guid))?.state, 'PENDING', 'the space at its limit ran a third task');
      await cancel(h, first[0].guid);
      await waitForTask(h, first[2].guid, (t) => t.state === 'RUNNING');
      await cancelAll(h, [...first, ...second, outside]);
    });
  },
  { runnerSlots: 8, runnerReservedSlots: 0, orgRunningTasksLimit: 3, spaceRunningTasksLimit: 2, cancelGraceSeconds: 1 },
);
