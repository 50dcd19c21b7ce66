// A task's limits, enforced on real processes: output over the log rate limit is dropped (with
// notice lines and a count), and a task past its timeout, memory, process count or disk ends
// FAILED naming the limit, its whole group gone, while taskd keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore, type Harness } from '../support/harness.js';
import { createTask, eventually, groupAlive, outputOf, runnableApp, shellPidOf, waitForTask } from './helpers.js';

const NOTICE = /^taskd: output over the log rate limit of (\d+) bytes\/s; (\d+) bytes dropped$/;

/** Runs `command` with `extra` create fields, answers a GET while it runs, and waits for its end. */
async function runToEnd(h: Harness, command: string, extra: Record<string, unknown>) {
  const { app } = await runnableApp(h);
  const created = await createTask(h, app.guid, `echo $$; ${command}`, extra);
  const pid = await shellPidOf(h, created.guid);
  const res = await h.get(`/v3/tasks/${created.guid}`);
  assert.equal(res.status, 200, res.text);
  const done = await waitForTask(h, created.guid, undefined, 30_000);
  await eventually('the process group is gone', () => !groupAlive(pid));
  return done;
}

describeEachStore(
  'task limits',
  (h) => {
    test('output over the log rate limit is dropped, said so once a second, and counted', async () => {
      const rate = 10 * 1024;
      const { app } = await runnableApp(h);
      // `timeout` ends the writer after 10 s; `true` makes the task succeed. About 1 MB/s, a
      // hundred times the limit, in whole lines: `yes` unpaced kept both cores busy for the 10 s,
      // the supervisor reading and dropping as fast as it wrote.
      const flood = "timeout 10 sh -c 'while :; do yes 0123456789abcdef | head -c 102408; sleep 0.1; done'; true";
      const created = await createTask(h, app.guid, flood, { log_rate_limit_in_bytes_per_second: rate });
      const done = await waitForTask(h, created.guid, undefined, 40_000);
      assert.equal(done.state, 'SUCCEEDED', done.failure_reason ?? '');
      const lines = await outputOf(h, done.id);
      const notices = lines.filter((l) => l.stream === 'stderr' && NOTICE.test(l.text));
      // Each stored line was a line of output and its newline.
      const passed = lines.filter((l) => !notices.includes(l)).reduce((sum, l) => sum + Buffer.byteLength(l.text) + 1, 0);
      assert.ok(passed >= rate * 10 * 0.9 && passed <= rate * 10 * 1.1, `${passed} bytes passed in 10 s at ${rate} bytes/s`);
      assert.ok(notices.length >= 5 && notices.length <= 13, `${notices.length} notices in 10 s`);
      const noticed = notices.reduce((sum, l) => sum + Number(NOTICE.exec(l.text)![2]), 0);
      assert.ok(noticed > 0);
      assert.equal(Number(done.log_bytes_dropped), noticed);
      for (const notice of notices) assert.equal(NOTICE.exec(notice.text)![1], String(rate));
    });

    test('a task within its log rate limit loses nothing', async () => {
      const { app } = await runnableApp(h);
      const created = await createTask(h, app.guid, 'echo one; echo two', { log_rate_limit_in_bytes_per_second: 1000 });
      const done = await waitForTask(h, created.guid);
      assert.equal(done.state, 'SUCCEEDED');
      assert.deepEqual(
        (await outputOf(h, done.id)).map((l) => l.text),
        ['one', 'two'],
      );
      assert.equal(Number(done.log_bytes_dropped), 0);
    });

    test('a task past its timeout is stopped and ends FAILED "Task timed out after N seconds"', async () => {
      const done = await runToEnd(h, 'sleep 300 & sleep 300', { timeout_in_seconds: 1 });
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'Task timed out after 1 seconds');
    });

    test('a task that ignores SIGTERM at its timeout is killed after the grace', async () => {
      const done = await runToEnd(h, `trap '' TERM; while true; do sleep 1 & wait $!; done`, { timeout_in_seconds: 1 });
      assert.equal(done.failure_reason, 'Task timed out after 1 seconds');
    });

    test('a task holding more memory than its limit ends FAILED "Memory limit of N MB exceeded"', async () => {
      // The shell holds 100 MB of output in a variable, then waits to be noticed.
      const done = await runToEnd(h, `x=$(head -c 100000000 /dev/zero | tr '\\0' a); sleep 300`, { memory_in_mb: 32 });
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'Memory limit of 32 MB exceeded');
    });

    test('a task starting processes without end ends FAILED "Process limit of N exceeded"', async () => {
      // Contained: each loop turn starts one sleeper, so the group grows by hundreds a second at most
      // and the watch (every 250 ms) kills it long before the host notices.
      const done = await runToEnd(h, 'while true; do sleep 300 & done', {});
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'Process limit of 50 exceeded');
    });

    test('a task filling its directory past its disk limit ends FAILED "Disk limit of N MB exceeded"', async () => {
      // Many files, none beyond the per-file limit: on a filesystem of its own the sixth write fails
      // (ENOSPC) and so does the task, full; elsewhere the directory watch catches it asleep.
      const done = await runToEnd(h, 'set -e; for i in 1 2 3 4 5 6 7 8; do head -c 1000000 /dev/zero > f$i; done; sleep 300', {
        disk_in_mb: 5,
      });
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'Disk limit of 5 MB exceeded');
    });

    test('one file written past the disk limit is stopped at the limit (RLIMIT_FSIZE)', async () => {
      const done = await runToEnd(h, 'head -c 20000000 /dev/zero > big', { disk_in_mb: 5 });
      assert.equal(done.state, 'FAILED');
      assert.equal(done.failure_reason, 'Disk limit of 5 MB exceeded');
    });

    test('a task within all its limits succeeds', async () => {
      const done = await runToEnd(h, 'head -c 1000000 /dev/zero > f; sleep 0.3', {
        memory_in_mb: 64,
        disk_in_mb: 5,
        timeout_in_seconds: 30,
      });
      assert.equal(done.state, 'SUCCEEDED', done.failure_reason ?? '');
    });
  },
  { cancelGraceSeconds: 1, taskMaxProcesses: 50 },
);
