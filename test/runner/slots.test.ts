// The runner's slots bound how many tasks run at once; the rest wait PENDING and start oldest
// first as slots free up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/harness.js';
import { createTask, runnableApp, waitForTask } from './helpers.js';

describeEachStore(
  'runner slots',
  (h) => {
    test('with 2 slots, 5 tasks never run more than 2 at once, start oldest first and all finish', async () => {
      const { app } = await runnableApp(h);
      const created = [];
      for (let i = 0; i < 5; i++) created.push(await createTask(h, app.guid, `sleep 0.3; echo ${i}`));
      const done = [];
      for (const task of created) done.push(await waitForTask(h, task.guid));
      assert.deepEqual(
        done.map((t) => t.state),
        Array(5).fill('SUCCEEDED'),
      );

      // A slot is reused only after its task's outcome is recorded, so the recorded intervals
      // show how many ran at once (a start at the very instant of a finish comes after it).
      const events = done.flatMap((t) => [
        { at: t.started_at!, delta: 1 },
        { at: t.finished_at!, delta: -1 },
      ]);
      events.sort((a, b) => a.at.localeCompare(b.at) || a.delta - b.delta);
      let running = 0;
      let most = 0;
      for (const e of events) most = Math.max(most, (running += e.delta));
      assert.ok(most <= 2, `${most} tasks ran at once`);
      assert.equal(most, 2, 'the second slot was never used');

      const starts = done.map((t) => t.started_at!);
      assert.deepEqual([...starts].sort(), starts, 'tasks did not start oldest first');
    });
  },
  { runnerSlots: 2 },
);
