// `cf logs APP --recent` and `cf logs APP` (following) against taskd's log cache (api/logcache):
// the lines of the app's tasks, as the cf CLI prints them, `[APP/TASK/<name>/0] OUT <line>`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appWithCurrentDroplet } from '../droplets/helpers.js';
import { createTask, eventually, waitForTask } from '../runner/helpers.js';
import { describeCfEachStore } from './cf-harness.js';

describeCfEachStore('the cf CLI: logs', (s) => {
  test("cf logs APP --recent shows a finished task's output lines, stdout and stderr, in order", async () => {
    const { app } = await appWithCurrentDroplet(s.server, s.space.guid);
    const task = await createTask(
      s.server,
      app.guid,
      'echo hello from a task; sleep 0.2; echo something went wrong >&2; sleep 0.2; echo goodbye',
      {
        name: 'greeter',
      },
    );
    assert.equal((await waitForTask(s.server, task.guid)).state, 'SUCCEEDED');
    const res = await s.ok(s.home(), ['logs', app.name, '--recent']);
    assert.ok(
      res.lines.includes(`Retrieving logs for app ${app.name} in org ${s.org.name} / space ${s.space.name} as ${s.user.username}...`),
      res.stdout,
    );
    const logLines = res.lines.filter((l) => l.includes('[APP/TASK/'));
    assert.deepEqual(
      logLines.map((l) => l.replace(/^\s*\S+\s+/, '')),
      ['[APP/TASK/greeter/0] OUT hello from a task', '[APP/TASK/greeter/0] ERR something went wrong', '[APP/TASK/greeter/0] OUT goodbye'],
      res.stdout,
    );
    // Each line starts with its time, as the CLI prints it.
    for (const line of logLines) assert.match(line, /^\s*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{2}[+-]\d{4} \[/, line);
  });

  test('cf logs APP follows a running task: it prints a line the task prints after the command started', async () => {
    const { app } = await appWithCurrentDroplet(s.server, s.space.guid);
    // A line every 1.5 s: the CLI starts following from the app's latest line once that line is a
    // second old (go-log-cache's Walk drops younger ones), which a task printing faster never lets be.
    const task = await createTask(s.server, app.guid, 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 1.5; done', {
      name: 'ticker',
    });
    const row = await waitForTask(s.server, task.guid, (t) => t.state === 'RUNNING');
    // The CLI follows from the app's latest line: wait for the first one.
    const lastTick = async () => {
      const last = await s.server.db
        .selectFrom('task_log_lines')
        .select('text')
        .where('task_id', '=', row.id)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      return last ? Number(last.text.replace('tick ', '')) : 0;
    };
    await eventually('the task printed', async () => (await lastTick()) > 0);
    const child = s.start(s.home(), ['logs', app.name]);
    const printedBefore = await lastTick();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const later = new RegExp(`\\[APP/TASK/ticker/0\\] OUT tick (\\d+)$`);
      const ticksSeen = () =>
        stdout
          .split('\n')
          .map((l) => later.exec(l.trimEnd()))
          .filter((m) => m !== null)
          .map((m) => Number(m[1]));
      await eventually(`cf logs printed a tick after ${printedBefore}`, () => ticksSeen().some((n) => n > printedBefore), 30_000).catch(
        (err: Error) => {
          throw new Error(`${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`);
        },
      );
      assert.ok(stdout.includes(`Retrieving logs for app ${app.name} in org ${s.org.name} / space ${s.space.name}`), stdout);
      // Followed lines come once each, in order.
      const seen = ticksSeen();
      assert.deepEqual(
        seen,
        [...seen].sort((a, b) => a - b),
      );
      assert.equal(new Set(seen).size, seen.length, stdout);
    } finally {
      child.kill('SIGKILL');
      await s.server.post(`/v3/tasks/${task.guid}/actions/cancel`, {});
    }
  });
});
