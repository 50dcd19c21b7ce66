// A task handed to a task supervisor that dies before taskd hears the task start, when no other
// supervisor takes in its spool (a new one cannot be started): nothing tells whether the task ran,
// so it ends "Unable to determine completion status", never "Unable to request task to be run",
// which says it surely never ran (issue 21 item 2: a crash check saw a task that ran reported so);
// and taskd keeps trying to start a supervisor until it can.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describeEachStore } from '../support/harness.js';
import { supervisorPidOf } from '../support/supervisor-pid.js';
import { createTask, eventually, runnableApp, sleep, taskRow, waitForTask } from './helpers.js';

/** Where taskd's supervisor listens for this data directory (supervisor-client.ts). */
function supervisorSocket(dataDir: string): string {
  const runDir = path.join(path.resolve(dataDir), 'run');
  const inRunDir = path.join(runDir, 'supervisor.sock');
  if (existsSync(inRunDir)) return inRunDir;
  return path.join('/tmp', `taskd-${createHash('sha256').update(runDir).digest('hex').slice(0, 16)}`, 'supervisor.sock');
}

describeEachStore('a task lost with its supervisor', (h) => {
  test('handed over, its start unheard, and no supervisor to take in its spool: its outcome is unknown, not "never ran"', async () => {
    const { app } = await runnableApp(h);
    const pid = supervisorPidOf(h.config.dataDir);
    assert.ok(pid, 'a supervisor serves the data directory');
    const socketPath = supervisorSocket(h.config.dataDir);
    assert.ok(existsSync(socketPath), socketPath);
    // Stopped: the spawn request waits unread in its socket, as one does when a supervisor is
    // killed while the request is on its way (or just read, its start not yet told).
    process.kill(pid, 'SIGSTOP');
    // In its place, something that refuses to be the next supervisor, as one busy or failing to start does.
    const connections = new Set<net.Socket>();
    const impostor = net.createServer((socket) => {
      connections.add(socket);
      socket.on('error', () => {});
      socket.end(`${JSON.stringify({ type: 'busy' })}\n`);
    });
    const closeImpostor = async () => {
      const closed = new Promise((resolve) => impostor.close(resolve));
      for (const socket of connections) socket.destroy();
      await closed;
    };
    try {
      const task = await createTask(h, app.guid, 'echo ran');
      await waitForTask(h, task.guid, (t) => t.state === 'RUNNING', 20_000);
      // Past the claim, the droplet's tree and the token: the request is in the socket.
      await sleep(500);
      assert.equal((await taskRow(h, task.guid))?.state, 'RUNNING');
      unlinkSync(socketPath);
      await new Promise<void>((resolve) => impostor.listen(socketPath, resolve));
      process.kill(pid, 'SIGKILL');

      const done = await waitForTask(h, task.guid, (t) => t.state === 'FAILED', 20_000);
      assert.equal(done.failure_reason, 'Unable to determine completion status');

      // taskd tries again each second: once nothing holds the socket, it starts a real supervisor
      // and runs tasks again.
      await closeImpostor();
      await eventually('a supervisor serves again', () => supervisorPidOf(h.config.dataDir) !== undefined && existsSync(socketPath));
      // Listening before taskd, which asks every 25 ms, has connected.
      await sleep(500);
      const again = await createTask(h, app.guid, 'echo again');
      assert.equal((await waitForTask(h, again.guid, undefined, 30_000)).state, 'SUCCEEDED');
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Killed above.
      }
      if (impostor.listening) await closeImpostor();
    }
  });
});
