// Placement and roles: a runner takes a task only when it has a free slot and, with
// TASKD_RUNNER_MEMORY_MB, room for the task's memory_in_mb; an api node runs nothing, and a
// runner node serves only its probes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/harness.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createTaskd } from '../../src/taskd.js';
import { createTask, runnableApp, sleep, taskRow, waitForTask } from './helpers.js';

describeEachStore(
  'placement by memory (TASKD_RUNNER_MEMORY_MB=1000)',
  (h) => {
    test('a task waits while its memory does not fit; a smaller younger one runs meanwhile', async () => {
      const { app } = await runnableApp(h);
      const big = await createTask(h, app.guid, 'exec sleep 600', { memory_in_mb: 600 });
      await waitForTask(h, big.guid, (t) => t.state === 'RUNNING');
      const waiting = await createTask(h, app.guid, 'exec sleep 600', { memory_in_mb: 600 });
      const small = await createTask(h, app.guid, 'exec sleep 600', { memory_in_mb: 300 });
      await waitForTask(h, small.guid, (t) => t.state === 'RUNNING');
      // Several claim rounds (one a second) pass without it.
      await sleep(2500);
      assert.equal((await taskRow(h, waiting.guid))?.state, 'PENDING');

      await h.post(`/v3/tasks/${big.guid}/actions/cancel`, {});
      await waitForTask(h, waiting.guid, (t) => t.state === 'RUNNING');
      for (const task of [waiting, small]) await h.post(`/v3/tasks/${task.guid}/actions/cancel`, {});
      for (const task of [big, waiting, small]) await waitForTask(h, task.guid);
    });
  },
  { runnerSlots: 4, runnerMemoryMb: 1000, cancelGraceSeconds: 1 },
);

describeEachStore(
  'an api node (TASKD_ROLE=api)',
  (h) => {
    test('serves the APIs and runs nothing: with no runner alive a create is refused 503', async () => {
      const { app } = await runnableApp(h);
      const res = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'true' });
      assert.equal(res.status, 503, res.text);
      assert.equal(res.body.errors[0].title, 'CF-TaskWorkersUnavailable');
      assert.equal((await h.get('/readyz')).status, 200);
      assert.equal((await h.db.selectFrom('runners').select('id').execute()).length, 0);
    });
  },
  { role: 'api' },
);

describe('a runner node (TASKD_ROLE=runner)', () => {
  test('runs a runner and answers its probes, and no API', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-runner-node-'));
    const taskd = await createTaskd({ ...loadConfig({ env: {} }), dataDir, role: 'runner' });
    try {
      const get = (url: string) => taskd.app.inject({ method: 'GET', url });
      assert.equal((await get('/healthz')).statusCode, 200);
      assert.equal((await get('/readyz')).statusCode, 200);
      assert.equal((await get('/v3/tasks')).statusCode, 404);
      assert.equal((await taskd.ctx.store.db.selectFrom('runners').select('id').execute()).length, 1);
    } finally {
      await taskd.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('role settings', () => {
  test('TASKD_ROLE takes all, api or runner; TASKD_RUNNER_MEMORY_MB a positive number', () => {
    assert.equal(loadConfig({ env: {} }).role, 'all');
    assert.equal(loadConfig({ env: { TASKD_ROLE: 'runner', TASKD_RUNNER_MEMORY_MB: '4096' } }).runnerMemoryMb, 4096);
    assert.throws(() => loadConfig({ env: { TASKD_ROLE: 'worker' } }), {
      message: "TASKD_ROLE must be one of all, api, runner, got 'worker'",
    });
    assert.throws(() => loadConfig({ env: { TASKD_RUNNER_MEMORY_MB: '0' } }), /TASKD_RUNNER_MEMORY_MB/);
  });
});
