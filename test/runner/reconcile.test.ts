// A task whose runner is gone can never report how it ended: it is failed "Unable to determine
// completion status"; one that was being cancelled ends cancelled once its grace has passed.
// Tasks of live runners on other nodes are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describeEachStore } from '../support/harness.js';
import { insertTask, runnableApp, sleep, taskRow, waitForTask } from './helpers.js';

describeEachStore(
  'reconciling tasks of dead runners',
  (h) => {
    test("RUNNING tasks of a gone runner fail, CANCELING ones end cancelled; a live runner's task does not", async () => {
      const { app } = await runnableApp(h);
      const stale = new Date(Date.now() - 3600_000).toISOString();
      // Far ahead, so this stand-in for another node stays alive however slow the test runs.
      const fresh = new Date(Date.now() + 3600_000).toISOString();
      const deadRunner = randomUUID();
      const liveRunner = randomUUID();
      await h.db
        .insertInto('runners')
        .values([
          { id: deadRunner, hostname: 'gone', pid: 1, slots: 4, started_at: stale, heartbeat_at: stale },
          { id: liveRunner, hostname: 'elsewhere', pid: 1, slots: 4, started_at: stale, heartbeat_at: fresh },
        ])
        .execute();

      const ofDead = await insertTask(h, app.guid, { state: 'RUNNING', runner_id: deadRunner });
      const cancelingOfDead = await insertTask(h, app.guid, { state: 'CANCELING', runner_id: deadRunner, cancel_requested_at: stale });
      const ofVanished = await insertTask(h, app.guid, { state: 'RUNNING', runner_id: randomUUID() });
      const ofLive = await insertTask(h, app.guid, { state: 'RUNNING', runner_id: liveRunner });

      for (const task of [ofDead, ofVanished]) {
        const done = await waitForTask(h, task.guid);
        assert.equal(done.state, 'FAILED');
        assert.equal(done.failure_reason, 'Unable to determine completion status');
        assert.ok(done.finished_at);
      }
      const messages = await h.get(`/v3/tasks/${ofDead.guid}/messages`);
      assert.deepEqual(
        messages.body.resources.map((m: { source: string; text: string }) => [m.source, m.text]),
        [['runner', 'its runner on gone (pid 1) was lost: no heartbeat for 3 s']],
      );
      const cancelled = await waitForTask(h, cancelingOfDead.guid);
      assert.equal(cancelled.state, 'FAILED');
      assert.equal(cancelled.failure_reason, 'task was cancelled');
      // Another reconcile round passes (a third of the lease, 1 s here) without touching it.
      await sleep(1500);
      assert.equal((await taskRow(h, ofLive.guid))?.state, 'RUNNING');
    });

    test('a CANCELING task of a gone runner is finished cancelled only after the cancel grace', async () => {
      const { app } = await runnableApp(h);
      const stale = new Date(Date.now() - 3600_000).toISOString();
      const deadRunner = randomUUID();
      await h.db
        .insertInto('runners')
        .values({ id: deadRunner, hostname: 'gone', pid: 1, slots: 4, started_at: stale, heartbeat_at: stale })
        .execute();
      const requestedAt = Date.now();
      const task = await insertTask(h, app.guid, {
        state: 'CANCELING',
        runner_id: deadRunner,
        cancel_requested_at: new Date(requestedAt).toISOString(),
      });
      const done = await waitForTask(h, task.guid);
      assert.equal(done.failure_reason, 'task was cancelled');
      assert.ok(
        Date.parse(done.finished_at!) - requestedAt >= 4000,
        `finished ${Date.parse(done.finished_at!) - requestedAt} ms after the cancel`,
      );
    });
  },
  { runnerLeaseSeconds: 3, cancelGraceSeconds: 4 },
);
