// A task whose runner is gone can never report how it ended: it is failed "Unable to determine
// completion status". Tasks of live runners on other nodes are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describeEachStore } from '../support/harness.js';
import { insertTask, runnableApp, sleep, taskRow, waitForTask } from './helpers.js';

describeEachStore('reconciling tasks of dead runners', (h) => {
  test('RUNNING and CANCELING tasks of a gone runner fail; a live runner\'s task does not', async () => {
    const { app } = await runnableApp(h);
    const stale = new Date(Date.now() - 3600_000).toISOString();
    // Far ahead, so this stand-in for another node stays alive however slow the test runs.
    const fresh = new Date(Date.now() + 3600_000).toISOString();
    const deadRunner = randomUUID();
    const liveRunner = randomUUID();
    await h.db.insertInto('runners').values([
      { id: deadRunner, hostname: 'gone', pid: 1, slots: 4, started_at: stale, heartbeat_at: stale },
      { id: liveRunner, hostname: 'elsewhere', pid: 1, slots: 4, started_at: stale, heartbeat_at: fresh },
    ]).execute();

    const ofDead = await insertTask(h, app.guid, { state: 'RUNNING', runner_id: deadRunner });
    const cancelingOfDead = await insertTask(h, app.guid, { state: 'CANCELING', runner_id: deadRunner });
    const ofVanished = await insertTask(h, app.guid, { state: 'RUNNING', runner_id: randomUUID() });
    const ofLive = await insertTask(h, app.guid, { state: 'RUNNING', runner_id: liveRunner });

    for (const task of [ofDead, cancelingOfDead, ofVanished]) {
      const done = await waitForTask(h, task.guid);
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'Unable to determine completion status');
      assert.ok(done.finished_at);
    }
    // Another reconcile round passes (a third of the lease, 1 s here) without touching it.
    await sleep(1500);
    assert.equal((await taskRow(h, ofLive.guid))?.state, 'RUNNING');
  });
}, { runnerLeaseSeconds: 3 });
