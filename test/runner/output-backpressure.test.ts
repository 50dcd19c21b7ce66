// Backpressure from taskd to a task's output: while taskd holds a task's output (its lines wait to
// be stored), the supervisor stops reading the task's pipes and the task waits on its writes, so
// a task printing faster than the store takes its lines costs neither process memory; let go,
// every line arrives, once and in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TaskSupervisor, type OutputLine, type TaskProcessEvents } from '../../src/runner/supervisor-client.js';
import { eventually, sleep } from './helpers.js';

const LINES = 200_000;
let dataDir: string;
let supervisor: TaskSupervisor;
/** Released (killed, if it still runs) after the test, whatever happened in it. */
const spawned: string[] = [];

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-backpressure-'));
  supervisor = new TaskSupervisor(
    dataDir,
    () => {},
    () => {},
  );
  await supervisor.start();
});
after(async () => {
  try {
    for (const id of spawned) supervisor.release(id);
    await supervisor.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a task whose output is held waits on its writes, and every line arrives once let go', async () => {
  const source = path.join(dataDir, 'droplet');
  mkdirSync(source, { recursive: true });
  writeFileSync(path.join(source, 'README'), 'droplet');
  const id = randomUUID();
  spawned.push(id);
  const received: OutputLine[] = [];
  let started = false;
  let exit: { code: number | null } | undefined;
  const events: TaskProcessEvents = {
    started: () => {
      started = true;
      supervisor.holdOutput(id, true);
    },
    lines: (lines) => void received.push(...lines),
    exited: (code) => void (exit = { code }),
    lost: (message) => assert.fail(`lost: ${message}`),
    frozen: () => {},
  };
  // 20 MB as 200,000 lines of 99 characters: well under a second unheld.
  const command = `head -c ${LINES * 99} /dev/zero | tr '\\0' x | fold -w 99`;
  supervisor.spawn(
    id,
    { command, cwd: path.join(dataDir, 'tasks', id), source, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    events,
  );
  await eventually('the task starts', () => started);
  await sleep(1500);
  assert.equal(exit, undefined, 'the task has not ended: its writes wait while its output is held');
  assert.ok(received.length < LINES / 10, `only what was read before the hold arrived (${received.length} lines)`);
  supervisor.holdOutput(id, false);
  await eventually('the task ends', () => exit !== undefined, 60_000);
  assert.equal(exit!.code, 0);
  assert.equal(received.length, LINES);
  assert.ok(
    received.every((line, i) => line.seq === i + 1 && line.text.length === 99),
    'every line once, in order',
  );
});
