// Periodic upkeep: completed tasks past the cutoff are pruned with their output and labels;
// PENDING tasks expire only when no runner is alive to take them, or none with their memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/harness.js';
import { appInNewSpace, labelTask, seedTask } from '../support/tasks.js';
import {
  EXPIRED_BEYOND_RUNNERS,
  EXPIRED_IN_PENDING,
  expireStrandedPendingTasks,
  pruneCompletedTasks,
  RunnerMemoryWindow,
} from '../../src/actions/task-maintenance.js';

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

// No runner on this node, so seeded PENDING rows stay put and none is alive unless a test says so.
describeEachStore(
  'task maintenance',
  (h) => {
    test('completed tasks older than the cutoff are pruned with their output and labels; others stay', async () => {
      const { app } = await appInNewSpace(h);
      const old = await seedTask(h, app.guid, { state: 'SUCCEEDED', created_at: daysAgo(40), updated_at: daysAgo(32) });
      const oldFailed = await seedTask(h, app.guid, {
        state: 'FAILED',
        failure_reason: 'Exited with status 1',
        created_at: daysAgo(40),
        updated_at: daysAgo(35),
      });
      const recent = await seedTask(h, app.guid, { state: 'SUCCEEDED', created_at: daysAgo(40), updated_at: daysAgo(30) });
      const oldButRunning = await seedTask(h, app.guid, { state: 'RUNNING', created_at: daysAgo(40), updated_at: daysAgo(40) });
      await labelTask(h, old, { env: 'prod' });
      await h.db
        .insertInto('task_log_lines')
        .values({ task_id: old.id, seq: 1, time: daysAgo(32), stream: 'stdout', text: 'bye' })
        .execute();

      assert.equal(await pruneCompletedTasks(h.db, 31), 2);

      const left = (await h.db.selectFrom('tasks').select('guid').where('app_id', '=', old.app_id).execute()).map((r) => r.guid).sort();
      assert.deepEqual(left, [recent.guid, oldButRunning.guid].sort());
      assert.equal((await h.get(`/v3/tasks/${old.guid}`)).status, 404);
      assert.equal((await h.get(`/v3/tasks/${oldFailed.guid}`)).status, 404);
      const lines = await h.db.selectFrom('task_log_lines').select('seq').where('task_id', '=', old.id).execute();
      assert.deepEqual(lines, []);
      const selected = await h.get(`/v3/apps/${app.guid}/tasks?label_selector=env=prod`);
      assert.equal(selected.body.pagination.total_results, 0);
    });

    test('with no runner alive, PENDING tasks older than 300 s fail as CF words it; newer ones wait', async () => {
      const { app } = await appInNewSpace(h);
      const stale = await seedTask(h, app.guid, { state: 'PENDING', created_at: minutesAgo(6), updated_at: minutesAgo(6) });
      const fresh = await seedTask(h, app.guid, { state: 'PENDING', created_at: minutesAgo(1), updated_at: minutesAgo(1) });

      assert.equal(await expireStrandedPendingTasks(h.db, h.config.runnerLeaseSeconds), 1);

      const expired = (await h.get(`/v3/tasks/${stale.guid}`)).body;
      assert.equal(expired.state, 'FAILED');
      assert.equal(expired.result.failure_reason, EXPIRED_IN_PENDING);
      assert.equal((await h.get(`/v3/tasks/${fresh.guid}`)).body.state, 'PENDING');
    });

    test('while a runner is alive, PENDING tasks wait for a slot however long it takes', async () => {
      const { app } = await appInNewSpace(h);
      const waiting = await seedTask(h, app.guid, { state: 'PENDING', created_at: minutesAgo(30), updated_at: minutesAgo(30) });
      const now = new Date().toISOString();
      await h.db
        .insertInto('runners')
        .values({ id: 'busy-node', hostname: 'elsewhere', pid: 1, slots: 2, started_at: now, heartbeat_at: now })
        .execute();
      try {
        assert.equal(await expireStrandedPendingTasks(h.db, h.config.runnerLeaseSeconds), 0);
        assert.equal((await h.get(`/v3/tasks/${waiting.guid}`)).body.state, 'PENDING');
      } finally {
        await h.db.deleteFrom('runners').where('id', '=', 'busy-node').execute();
      }
    });

    test('a PENDING task bigger than every runner seen for 300 s fails saying so; one that fits waits; a node watching less long expires none', async () => {
      const { app } = await appInNewSpace(h);
      const seeded = (memory: number) =>
        seedTask(h, app.guid, { state: 'PENDING', memory_in_mb: memory, created_at: minutesAgo(6), updated_at: minutesAgo(6) });
      const tooBig = await seeded(4096);
      const fits = await seeded(2048);
      const now = new Date().toISOString();
      await h.db
        .insertInto('runners')
        .values({ id: 'bounded-node', hostname: 'elsewhere', pid: 1, slots: 2, memory_mb: 2048, started_at: now, heartbeat_at: now })
        .execute();
      try {
        // Just started: a larger runner may have been restarting a moment ago.
        assert.equal(await expireStrandedPendingTasks(h.db, h.config.runnerLeaseSeconds, new RunnerMemoryWindow()), 0);
        // A window that saw a larger runner within the 300 s keeps the task waiting.
        const sawLarger = new RunnerMemoryWindow(Date.now() - 400_000);
        sawLarger.observe(8192, Date.now() - 120_000);
        assert.equal(await expireStrandedPendingTasks(h.db, h.config.runnerLeaseSeconds, sawLarger), 0);
        assert.equal((await h.get(`/v3/tasks/${tooBig.guid}`)).body.state, 'PENDING');

        const watched = new RunnerMemoryWindow(Date.now() - 400_000);
        assert.equal(await expireStrandedPendingTasks(h.db, h.config.runnerLeaseSeconds, watched), 1);
        const expired = (await h.get(`/v3/tasks/${tooBig.guid}`)).body;
        assert.equal(expired.state, 'FAILED');
        assert.equal(expired.result.failure_reason, EXPIRED_BEYOND_RUNNERS);
        assert.equal((await h.get(`/v3/tasks/${fits.guid}`)).body.state, 'PENDING');
        // A runner bounded by its slots alone could take any task: nothing expires.
        await h.db
          .insertInto('runners')
          .values({ id: 'unbounded-node', hostname: 'elsewhere', pid: 1, slots: 2, started_at: now, heartbeat_at: now })
          .execute();
        const bigger = await seeded(8192);
        assert.equal(await expireStrandedPendingTasks(h.db, h.config.runnerLeaseSeconds, watched), 0);
        assert.equal((await h.get(`/v3/tasks/${bigger.guid}`)).body.state, 'PENDING');
      } finally {
        await h.db.deleteFrom('runners').where('id', 'in', ['bounded-node', 'unbounded-node']).execute();
      }
    });
  },
  { runnerSlots: 0 },
);
