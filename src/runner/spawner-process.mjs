// The spawner: a small long-lived helper that starts task processes for the runner. It exists
// because fork() costs grow with the parent's memory (about 1 ms from a 50 MB process, 37 ms
// from 1 GB), so the server — which may grow large — never forks task processes itself. Plain
// JavaScript with no imports beyond Node's own, started without loaders, so it stays small.
//
// Protocol (Node IPC messages, JSON):
//   in:  { type: 'spawn', id, command, cwd, env }   run `/bin/sh -c command` as its own group
//        { type: 'kill', id, signal }               signal the task's whole process group
//   out: { type: 'started', id, pid }
//        { type: 'output', id, stream: 'stdout'|'stderr', text }   UTF-8, arbitrary chunks
//        { type: 'exit', id, code, signal }         after all output of the task was sent
//        { type: 'spawn-error', id, message }
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

/** id -> { pid, exited } for every task this spawner started and not yet reported. */
const tasks = new Map();

// Output a task's leftover children still write after its shell exited is not waited for
// forever: a process that escaped the group (setsid) could hold the pipe open indefinitely.
const DRAIN_AFTER_EXIT_MS = 2000;

function send(message) {
  if (process.connected) process.send(message);
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function runTask({ id, command, cwd, env }) {
  let child;
  try {
    child = spawn('/bin/sh', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    send({ type: 'spawn-error', id, message: err.message });
    return;
  }
  child.once('error', (err) => {
    // Spawn failures (missing cwd, …) arrive here without a pid.
    if (child.pid === undefined) send({ type: 'spawn-error', id, message: err.message });
  });
  if (child.pid === undefined) return;
  const task = { pid: child.pid };
  tasks.set(id, task);
  send({ type: 'started', id, pid: child.pid });

  for (const stream of ['stdout', 'stderr']) {
    const decoder = new StringDecoder('utf8');
    child[stream].on('data', (chunk) => {
      const text = decoder.write(chunk);
      if (text) send({ type: 'output', id, stream, text });
    });
    child[stream].on('end', () => {
      const rest = decoder.end();
      if (rest) send({ type: 'output', id, stream, text: rest });
    });
  }

  let reported = false;
  const report = (code, signal) => {
    if (reported) return;
    reported = true;
    tasks.delete(id);
    send({ type: 'exit', id, code, signal });
  };
  child.once('exit', (code, signal) => {
    // A task ends with its shell: processes it left behind in its group go too, as they would
    // with a container's end. Killing them also closes the pipes they hold.
    killGroup(child.pid, 'SIGKILL');
    const timer = setTimeout(() => {
      child.stdout.destroy();
      child.stderr.destroy();
      report(code, signal);
    }, DRAIN_AFTER_EXIT_MS);
    child.once('close', () => {
      clearTimeout(timer);
      report(code, signal);
    });
  });
}

process.on('message', (message) => {
  if (message.type === 'spawn') runTask(message);
  else if (message.type === 'kill') {
    const task = tasks.get(message.id);
    if (task) killGroup(task.pid, message.signal);
  }
});

// The runner is gone (taskd stopped or crashed): no task may outlive it unobserved.
process.on('disconnect', () => {
  for (const task of tasks.values()) killGroup(task.pid, 'SIGKILL');
  process.exit(0);
});
