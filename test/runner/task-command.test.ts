// What the supervisor spawns for an unsandboxed task waits for its line before anything of the
// task runs: the process is started while the task's directory is still being made, and changes
// into it only once told to go on; a supervisor that dies before then leaves nothing run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { taskCommand } from '../../src/runner/sandbox/bwrap-args.mjs';

function start(cwd: string, shellArgs: string[]) {
  const run = taskCommand(undefined, cwd, { PATH: '/usr/bin:/bin' }, shellArgs);
  const child = spawn(run.file, run.args, { cwd: '/', env: run.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const ended = new Promise<{ code: number | null; stdout: string }>((resolve) => child.once('close', (code) => resolve({ code, stdout })));
  return { run, input: child.stdio[3] as Writable, ended };
}

test('an unsandboxed task runs in its directory, made after its process started, once its line is written', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'taskd-task-command-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cwd = path.join(root, 'task');
  const { run, input, ended } = start(cwd, ['-c', 'pwd; touch ran']);
  mkdirSync(cwd);
  input.end(run.inputs[0]);
  const { code, stdout } = await ended;
  assert.equal(code, 0);
  assert.equal(stdout.trim(), cwd);
  assert.ok(existsSync(path.join(cwd, 'ran')));
});

test('an unsandboxed task whose line never comes runs nothing', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'taskd-task-command-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const { input, ended } = start(root, ['-c', 'touch ran']);
  // The supervisor died: its end of the pipe closes with nothing written.
  input.end();
  const { code } = await ended;
  assert.equal(code, 126);
  assert.equal(existsSync(path.join(root, 'ran')), false);
});
