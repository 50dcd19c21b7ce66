// A supervisor that died between spawning a task and writing its start to the spool: the next
// supervisor finds the task's processes by their environment, kills their group, and reports the
// task as started and lost, so taskd records "Unable to determine completion status" rather than
// "never run", and nothing of it runs on unseen. One whose spawn was under way counts as started
// even when its processes are gone by then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { eventually } from './helpers.js';

const SUPERVISOR = path.resolve('src/runner/supervisor/supervisor.mjs');

/** Sends hello on the supervisor's socket (once it listens) and returns what it holds. */
async function heldBy(socketPath: string): Promise<{ id: string; started: boolean; ended: boolean }[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const socket = net.connect(socketPath);
      await once(socket, 'connect');
      socket.write(`${JSON.stringify({ type: 'hello' })}\n${JSON.stringify({ type: 'shutdown' })}\n`);
      let text = '';
      socket.setEncoding('utf8');
      for await (const chunk of socket) {
        text += chunk;
        if (text.includes('\n')) break;
      }
      socket.destroy();
      return JSON.parse(text.slice(0, text.indexOf('\n'))).tasks;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

test('a task whose start was never spooled: its processes are killed and it is reported started and lost', async () => {
  const runDir = mkdtempSync(path.join(tmpdir(), 'taskd-supervisor-'));
  const id = randomUUID();
  mkdirSync(path.join(runDir, 'tasks'), { mode: 0o700 });
  writeFileSync(path.join(runDir, 'tasks', `${id}.spool`), `${JSON.stringify({ task: { cwd: path.join(runDir, 'workdir') } })}\n`);
  // What the dead supervisor had started: a shell with a child, as its own group.
  const task = spawn('/bin/sh', ['-c', 'sleep 600 & wait'], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, TASKD_TASK_GUID: id },
  });
  const taskEnded = once(task, 'exit');
  const socketPath = path.join(runDir, 'supervisor.sock');
  const supervisor = spawn(process.execPath, [SUPERVISOR, runDir, socketPath], { stdio: 'ignore', env: {} });
  try {
    const held = await heldBy(socketPath);
    assert.deepEqual(
      held.map(({ id, started, ended }) => ({ id, started, ended })),
      [{ id, started: true, ended: true }],
    );
    // Told to shut down before taskd recorded the end (taskd died too): the next supervisor
    // still knows from the spool that the task ran.
    await once(supervisor, 'exit');
    const next = spawn(process.execPath, [SUPERVISOR, runDir, socketPath], { stdio: 'ignore', env: {} });
    try {
      const heldNext = await heldBy(socketPath);
      assert.deepEqual(
        heldNext.map(({ id, started, ended }) => ({ id, started, ended })),
        [{ id, started: true, ended: true }],
      );
    } finally {
      next.kill('SIGKILL');
    }
    const [, signal] = await taskEnded;
    assert.equal(signal, 'SIGKILL');
    // Its background child went with it (given a moment to be reaped once orphaned).
    await eventually('nothing of its group is left', () => {
      try {
        process.kill(-task.pid!, 0);
        return false;
      } catch {
        return true;
      }
    });
  } finally {
    try {
      process.kill(-task.pid!, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
    supervisor.kill('SIGKILL');
    rmSync(runDir, { recursive: true, force: true });
  }
});

test('a task whose spawn was under way counts as started though its processes are gone; one still being prepared does not', async () => {
  const runDir = mkdtempSync(path.join(tmpdir(), 'taskd-supervisor-'));
  mkdirSync(path.join(runDir, 'tasks'), { mode: 0o700 });
  const spool = (id: string, ...records: object[]) =>
    writeFileSync(path.join(runDir, 'tasks', `${id}.spool`), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  // Its shell ran and ended (or died of its closed output pipe) before the next supervisor looked.
  const spawned = randomUUID();
  spool(spawned, { task: { cwd: path.join(runDir, 'a') } }, { spawning: true });
  // Its supervisor died while copying its directory: it never ran.
  const preparing = randomUUID();
  spool(preparing, { task: { cwd: path.join(runDir, 'b') } });
  const socketPath = path.join(runDir, 'supervisor.sock');
  const supervisor = spawn(process.execPath, [SUPERVISOR, runDir, socketPath], { stdio: 'ignore', env: {} });
  try {
    const held = await heldBy(socketPath);
    const byId = new Map(held.map(({ id, started, ended }) => [id, { started, ended }]));
    assert.deepEqual(byId.get(spawned), { started: true, ended: true });
    assert.deepEqual(byId.get(preparing), { started: false, ended: true });
  } finally {
    supervisor.kill('SIGKILL');
    rmSync(runDir, { recursive: true, force: true });
  }
});
