// Every stored byte of task output has a budget (issue 17, finding 2): a task keeps at most its
// budget of bytes and of lines, an organization at most its budget over all its tasks. A task
// flooding its output runs on to its end, its log ends with one line saying the rest was not
// kept, it gets one message saying so, the node counts it in /metrics, and its spool stops
// growing. Small budgets keep the floods fast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeEachStore, type Harness } from '../support/harness.js';
import { createTask, eventually, hostWorkDir, outputOf, runnableApp, taskRow, waitForTask } from './helpers.js';
import { TaskdProcess } from '../support/taskd-process.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

/** 50 MB of 1,000-character lines: far past any budget here, and a second's work for the shell. */
const FLOOD_LONG_LINES = `yes "$(printf '%01000d' 0)" | head -c 50000000`;

async function messageTexts(h: Harness, guid: string): Promise<string[]> {
  const res = await h.get(`/v3/tasks/${guid}/messages?per_page=100`);
  assert.equal(res.status, 200, res.text);
  return res.body.resources.map((m: any) => `${m.source}: ${m.text}`);
}

async function truncatedCount(h: Harness, reason: string): Promise<number> {
  const res = await h.get('/metrics');
  assert.equal(res.status, 200, res.text);
  const line = res.text.split('\n').find((l) => l.startsWith(`taskd_task_output_truncated_total{reason="${reason}"} `));
  assert.ok(line, `no taskd_task_output_truncated_total for ${reason} in:\n${res.text}`);
  return Number(line.split(' ')[1]);
}

const bytesOf = (lines: { text: string }[]) => lines.reduce((sum, l) => sum + Buffer.byteLength(l.text), 0);

describeEachStore(
  'the output budget of a task',
  (h) => {
    test('a task flooding its output keeps 64 KiB of it, runs to its end, and is told once', async () => {
      const before = await truncatedCount(h, 'bytes');
      const { app } = await runnableApp(h);
      const created = await createTask(h, app.guid, FLOOD_LONG_LINES);
      const done = await waitForTask(h, created.guid, undefined, 60_000);
      // Its output was dropped, not the task: it wrote all 50 MB and exited 0.
      assert.equal(done.state, 'SUCCEEDED', done.failure_reason ?? '');
      const lines = await outputOf(h, done.id);
      const marker = lines.at(-1)!;
      assert.deepEqual(
        { stream: marker.stream, text: marker.text },
        { stream: 'stderr', text: 'taskd: output truncated: the task wrote more than 64 KiB; later output was not kept' },
      );
      const kept = lines.slice(0, -1);
      assert.ok(bytesOf(kept) <= 64 * 1024 && bytesOf(kept) > 64 * 1024 - 1001, `${bytesOf(kept)} bytes kept`);
      assert.ok(
        kept.every((l, i) => l.seq === i + 1 && l.text.length === 1000),
        'the first lines, whole and in order',
      );
      assert.equal(Number(done.output_bytes), bytesOf(kept));
      assert.equal(Number(done.output_lines), kept.length);
      assert.equal(done.output_truncated, 'bytes');
      assert.deepEqual(await messageTexts(h, created.guid), [
        'runner: started',
        'runner: output truncated: the task wrote more than 64 KiB; later output was not kept',
        'runner: exited with status 0',
      ]);
      assert.equal(await truncatedCount(h, 'bytes'), before + 1);
    });

    test('a task printing more lines than its budget keeps the first ones', async () => {
      const { app } = await runnableApp(h);
      const done = await waitForTask(h, (await createTask(h, app.guid, 'seq 1 200000')).guid, undefined, 60_000);
      assert.equal(done.state, 'SUCCEEDED', done.failure_reason ?? '');
      const lines = await outputOf(h, done.id);
      assert.equal(lines.length, 1001);
      assert.deepEqual(
        lines.slice(0, 1000).map((l) => l.text),
        Array.from({ length: 1000 }, (_, i) => String(i + 1)),
      );
      assert.equal(lines[1000]!.text, 'taskd: output truncated: the task wrote more than 1000 lines; later output was not kept');
      assert.equal(done.output_truncated, 'lines');
      assert.equal((await messageTexts(h, done.guid)).filter((m) => m.includes('output truncated')).length, 1);
    });

    test('past its budget the output is neither stored nor spooled while the task runs on', async () => {
      const { app } = await runnableApp(h);
      const created = await createTask(h, app.guid, `${FLOOD_LONG_LINES}; sleep 60`);
      await waitForTask(h, created.guid, (t) => t.output_truncated !== null, 60_000);
      const spool = path.join(h.config.dataDir, 'run', 'tasks', `${created.guid}.spool`);
      // The supervisor counts the budget itself: it spools and passes on one line past it, no more
      // (a 64 KiB budget of 1,000-character lines, each spooled with its number, time and stream).
      const spoolCap = 128 * 1024;
      await eventually('the flood is written', async () => {
        const lines = await outputOf(h, (await taskRow(h, created.guid))!.id);
        return lines.length > 0;
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.ok(statSync(spool).size < spoolCap, `spool of ${statSync(spool).size} bytes`);
      const row = (await taskRow(h, created.guid))!;
      assert.equal(row.state, 'RUNNING');
      assert.ok(Number(row.output_bytes) <= 64 * 1024);
      assert.equal((await h.post(`/v3/tasks/${created.guid}/actions/cancel`, {})).status, 202);
      await waitForTask(h, created.guid);
    });
  },
  { taskOutputMaxBytes: 64 * 1024, taskOutputMaxLines: 1000, cancelGraceSeconds: 1 },
);

describeEachStore(
  'the output budget of an organization',
  (h) => {
    test("an org's tasks keep at most its budget together; deleting them gives it back", async () => {
      const { space, app } = await runnableApp(h);
      const flood = await waitForTask(
        h,
        (await createTask(h, app.guid, `yes "$(printf '%01000d' 0)" | head -c 3000000`)).guid,
        undefined,
        60_000,
      );
      assert.equal(flood.state, 'SUCCEEDED', flood.failure_reason ?? '');
      assert.equal(flood.output_truncated, 'organization');
      assert.ok(Number(flood.output_bytes) <= 1024 * 1024 && Number(flood.output_bytes) > 1024 * 1024 - 1001);
      assert.ok(
        (await messageTexts(h, flood.guid)).includes(
          "runner: output truncated: its organization's stored task output reached its budget of 1 MiB; later output was not kept",
        ),
      );

      // Another task of the same org keeps nothing (less than a line of 1,000 is left); another
      // org's task is not held back.
      const { app: sibling } = await appWithCurrentDroplet(h, space.guid);
      const same = await waitForTask(h, (await createTask(h, sibling.guid, `printf '%01000d\\n' 0`)).guid);
      assert.equal(same.output_truncated, 'organization');
      assert.deepEqual(
        (await outputOf(h, same.id)).map((l) => l.text),
        ["taskd: output truncated: its organization's stored task output reached its budget of 1 MiB; later output was not kept"],
      );
      const { app: stranger } = await runnableApp(h);
      const other = await waitForTask(h, (await createTask(h, stranger.guid, 'echo hello')).guid);
      assert.equal(other.output_truncated, null);
      assert.deepEqual(
        (await outputOf(h, other.id)).map((l) => l.text),
        ['hello'],
      );

      // The flooding app deleted, its output no longer counts.
      assert.equal((await h.delete(`/v3/apps/${app.guid}`)).status, 202);
      await eventually('the app is gone', async () => (await h.get(`/v3/apps/${app.guid}`)).status === 404);
      const after = await waitForTask(h, (await createTask(h, sibling.guid, 'echo again')).guid);
      assert.deepEqual(
        (await outputOf(h, after.id)).map((l) => l.text),
        ['again'],
      );
    });
  },
  { orgOutputMaxMb: 1 },
);

describeEachStore(
  'the output budget of a task taken back after a restart',
  (h) => {
    test('what a task stored before taskd was killed still counts against its budget', async () => {
      const { app } = await runnableApp(h);
      // A long lease: the supervisor stops tasks left without a taskd for that long, and a loaded
      // machine may take a while to start the next one.
      const budget = { TASKD_TASK_OUTPUT_MAX_LINES: '30', TASKD_RUNNER_LEASE_SECONDS: '300' };
      let taskd = await TaskdProcess.start(h, budget);
      try {
        // 20 lines, then (once the test says go) 20 more: 40 in all, past the budget of 30 only together.
        const created = await createTask(h, app.guid, 'seq 1 20; while [ ! -e go ]; do sleep 0.05; done; seq 21 40; exec sleep 600');
        const row = () => taskRow(h, created.guid);
        await eventually('20 lines are stored', async () => Number((await row())?.output_lines) === 20, 60_000);
        await taskd.kill('SIGKILL');
        taskd = await TaskdProcess.start(h, budget);
        writeFileSync(path.join(hostWorkDir(h, created.guid), 'go'), '');
        const truncated = await waitForTask(h, created.guid, (t) => t.output_truncated !== null, 60_000);
        assert.equal(truncated.output_truncated, 'lines');
        const lines = await outputOf(h, truncated.id);
        assert.deepEqual(
          lines.map((l) => l.text),
          [
            ...Array.from({ length: 30 }, (_, i) => String(i + 1)),
            'taskd: output truncated: the task wrote more than 30 lines; later output was not kept',
          ],
        );
        assert.equal((await h.post(`/v3/tasks/${created.guid}/actions/cancel`, {})).status, 202);
        await waitForTask(h, created.guid, undefined, 60_000);
      } finally {
        await taskd.kill('SIGTERM');
      }
    });
  },
  { runnerSlots: 0 },
);
