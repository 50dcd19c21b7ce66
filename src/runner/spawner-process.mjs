// The spawner: a small long-lived helper that makes task working directories and starts task
// processes for the runner. It exists because fork() costs grow with the parent's memory (about
// 1 ms from a 50 MB process, 37 ms from 1 GB), so the server — which may grow large — never forks
// task processes itself; and it copies and removes the working directories (about 2 ms of file
// system calls per task) so that this work runs beside the server, not in it. Plain JavaScript
// with no imports beyond Node's own, started without loaders, so it stays small.
//
// Protocol (Node IPC messages, JSON):
//   in:  { type: 'spawn', id, command, cwd, source, env, limits?, sandbox? }
//            (`sandbox`: run it inside bubblewrap, see sandbox/bwrap-args.mjs)
//            copy the tree `source` (a droplet) to the new directory `cwd`, run `/bin/sh -c
//            command` there as its own group, and remove `cwd` once the task has ended;
//            `limits` (limits/task-limits.mjs) are enforced on the group and its output
//        { type: 'kill', id, signal }               signal the task's whole process group
//                                                   (a frozen one is thawed after the signal)
//        { type: 'freeze', id } / { type: 'thaw', id }
//                                                   SIGSTOP / SIGCONT the started task's group
//                                                   and hold / run on its timeout (time spent
//                                                   frozen does not count); both idempotent
//   out: { type: 'started', id, pid }
//        { type: 'output', id, stream: 'stdout'|'stderr', text }   UTF-8, arbitrary chunks
//        { type: 'exit', id, code, signal, exceeded?, droppedBytes? }
//                                                   after all output of the task was sent;
//                                                   `exceeded`: the failure reason of the limit
//                                                   that ended it; `droppedBytes`: output over
//                                                   the log rate limit; a task
//                                                   killed while its directory was being made
//                                                   ends so without ever starting
//        { type: 'spawn-error', id, message }       nothing was started; `cwd` is gone again
//        { type: 'frozen', id }                     the group was sent SIGSTOP (which cannot be
//                                                   caught or ignored): it runs no more
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readlink, rm, rmdir, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { TaskCgroups } from './limits/cgroup-v1.mjs';
import { TaskLimits } from './limits/task-limits.mjs';
import { sandboxExit, taskCommand } from './sandbox/bwrap-args.mjs';
import { signalSandboxGroup } from './sandbox/signal-group.mjs';

/**
 * id -> { pid?, cwd, killedWith? } for every task this spawner accepted and not yet reported:
 * `pid` once started, `killedWith` when a kill came before it could start.
 */
const tasks = new Map();
/** Directory copies and removals in progress, waited for before the helper exits. */
const fileWork = new Set();
/** Parent directories already made: `mkdir -p` once each, not per task. */
const madeRoots = new Map();
let closing = false;

// Output a task's leftover children still write after its shell exited is not waited for
// forever: a process that escaped the group (setsid) could hold the pipe open indefinitely.
const DRAIN_AFTER_EXIT_MS = 2000;

function send(message) {
  if (process.connected) process.send(message);
}

/** Group leaders that are bwrap (sandboxed tasks), signalled the sandbox's way. */
const sandboxLeaders = new Set();

function killGroup(pid, signal) {
  if (sandboxLeaders.has(pid)) return signalSandboxGroup(pid, signal);
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * The files of a tree, read once per copy: `{ dirs, files, links }` of paths relative to it,
 * directories parent first. Droplets are immutable once staged, but they can be deleted, so the
 * listing is not kept between tasks.
 */
async function listTree(root) {
  const tree = { dirs: [], files: [], links: [] };
  const walk = async (rel) => {
    const entries = await readdir(rel ? path.join(root, rel) : root, { withFileTypes: true });
    const subdirs = [];
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        tree.dirs.push(child);
        subdirs.push(child);
      } else if (entry.isSymbolicLink()) tree.links.push(child);
      else if (entry.isFile()) tree.files.push(child);
    }
    await Promise.all(subdirs.map(walk));
  };
  await walk('');
  return tree;
}

/**
 * Copies a droplet tree into the new directory `to`: directories first (parents before their
 * children), then files (cloned copy-on-write where the filesystem can) and symlinks as they are.
 * A copy, never hard links: a task may write to its files. Returns the tree for the removal.
 */
async function copyTree(from, to) {
  const tree = await listTree(from);
  await mkdir(to, { mode: 0o700 });
  for (const dir of tree.dirs) await mkdir(path.join(to, dir), { mode: 0o700 });
  await Promise.all([
    ...tree.files.map((file) => copyFile(path.join(from, file), path.join(to, file), constants.COPYFILE_FICLONE)),
    ...tree.links.map(async (link) => symlink(await readlink(path.join(from, link)), path.join(to, link))),
  ]);
  return tree;
}

/**
 * Removes a task directory. What was copied in is known, so it is unlinked without listing it
 * again; whatever the task changed there (new files, a file made a directory) makes that fail,
 * and then the directory is removed the general way. The directories are checked to still be
 * directories first: one the task replaced by a symlink must not lead the removal elsewhere.
 */
async function removeDir(dir, tree) {
  if (tree) {
    try {
      const stats = await Promise.all([dir, ...tree.dirs.map((sub) => path.join(dir, sub))].map((d) => lstat(d)));
      if (!stats.every((st) => st.isDirectory())) throw new Error('reshaped');
      await Promise.all([...tree.files, ...tree.links].map((file) => unlink(path.join(dir, file))));
      for (let i = tree.dirs.length - 1; i >= 0; i--) await rmdir(path.join(dir, tree.dirs[i]));
      await rmdir(dir);
      return;
    } catch {
      // Fall through to the general removal.
    }
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 2 });
}

function track(work) {
  fileWork.add(work);
  void work.finally(() => fileWork.delete(work));
}

function removeLater(dir, tree) {
  track(removeDir(dir, tree).catch((err) => process.stderr.write(`taskd spawner: removing ${dir} failed: ${err.message}\n`)));
}

function ensureRoot(dir) {
  let made = madeRoots.get(dir);
  if (!made) {
    made = mkdir(dir, { recursive: true, mode: 0o700 });
    madeRoots.set(dir, made);
    made.catch(() => madeRoots.delete(dir));
  }
  return made;
}

async function prepare(source, cwd) {
  await ensureRoot(path.dirname(cwd));
  try {
    return await copyTree(source, cwd);
  } catch (err) {
    // Left over from a run that taskd did not finish (a crash): start clean, once.
    if (err.code !== 'EEXIST') throw err;
    await rm(cwd, { recursive: true, force: true });
    return await copyTree(source, cwd);
  }
}

async function runTask({ id, command, cwd, source, env, limits: taskLimits, sandbox }) {
  const task = { cwd };
  tasks.set(id, task);
  let tree;
  try {
    tree = await prepare(source, cwd);
  } catch (err) {
    tasks.delete(id);
    // A partial copy (the droplet vanished mid-way) is not left behind.
    await rm(cwd, { recursive: true, force: true }).catch(() => {});
    send({ type: 'spawn-error', id, message: err.message });
    return;
  }
  // Killed (or the runner went away) while its directory was being made: it never starts.
  if (task.killedWith || closing) {
    tasks.delete(id);
    removeLater(cwd, tree);
    send({ type: 'exit', id, code: null, signal: task.killedWith ?? 'SIGKILL' });
    return;
  }
  let child;
  /** Whether the task's stderr stands at the start of a line, where a notice can go. */
  let stderrAtLineStart = true;
  // Where the host gives v1 memory and pids cgroups, the task gets its own (none without limits).
  const cgroups = new TaskCgroups(`taskd-${process.pid}-${id}`, taskLimits);
  task.cgroups = cgroups;
  const limits = new TaskLimits(taskLimits, cwd, (signal) => killGroup(child.pid, signal), (notice) => {
    send({ type: 'output', id, stream: 'stderr', text: `${stderrAtLineStart ? '' : '\n'}${notice}\n` });
    stderrAtLineStart = true;
  }, cgroups);
  try {
    // In the sandbox (`sandbox`: bwrap's options) the group leader is bwrap, running the shell.
    const run = taskCommand(sandbox, cwd, env, limits.shellArgs(command), taskLimits?.diskMb);
    child = spawn(run.file, run.args, { cwd, env: run.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    tasks.delete(id);
    removeLater(cwd, tree);
    track(cgroups.remove());
    send({ type: 'spawn-error', id, message: err.message });
    return;
  }
  child.once('error', (err) => {
    // Spawn failures arrive here without a pid.
    if (child.pid === undefined) {
      tasks.delete(id);
      track(cgroups.remove());
      removeLater(cwd, tree);
      send({ type: 'spawn-error', id, message: err.message });
    }
  });
  if (child.pid === undefined) return;
  task.pid = child.pid;
  // At once, before the shell gets to fork: its children are born in the groups.
  cgroups.join(child.pid);
  if (sandbox) sandboxLeaders.add(child.pid);
  task.limits = limits;
  send({ type: 'started', id, pid: child.pid });
  limits.start(child.pid);

  for (const stream of ['stdout', 'stderr']) {
    let decoder;
    const deliver = (text) => {
      if (!text) return;
      if (stream === 'stderr') stderrAtLineStart = text.endsWith('\n');
      send({ type: 'output', id, stream, text });
    };
    child[stream].on('data', (chunk) => {
      const allowed = limits.admit(chunk.length);
      decoder ??= new StringDecoder('utf8');
      deliver(decoder.write(allowed < chunk.length ? chunk.subarray(0, allowed) : chunk));
      // What follows a gap starts afresh: a character cut by the drop is not joined to others.
      if (allowed < chunk.length) decoder = undefined;
    });
    child[stream].on('end', () => {
      deliver(decoder?.end());
    });
  }

  let reported = false;
  const report = async (code, signal) => {
    if (reported) return;
    reported = true;
    await limits.ended(code, signal);
    await cgroups.remove();
    tasks.delete(id);
    sandboxLeaders.delete(child.pid);
    send({ type: 'exit', id, ...(sandbox ? sandboxExit(code, signal) : { code, signal }), exceeded: limits.exceeded, droppedBytes: limits.droppedBytes });
    removeLater(cwd, tree);
  };
  child.once('exit', (code, signal) => {
    limits.stop();
    // A task ends with its shell: processes it left behind in its group go too, as they would
    // with a container's end. Killing them also closes the pipes they hold.
    killGroup(child.pid, 'SIGKILL');
    const timer = setTimeout(() => {
      child.stdout.destroy();
      child.stderr.destroy();
      track(report(code, signal));
    }, DRAIN_AFTER_EXIT_MS);
    child.once('close', () => {
      clearTimeout(timer);
      track(report(code, signal));
    });
  });
}

/**
 * Pause: the whole group stops (no CPU, no output) and its timeout waits. Only a started task can
 * be frozen; the runner asks again once it has heard that the task started.
 */
function freeze(id) {
  const task = tasks.get(id);
  if (task?.pid === undefined) return;
  if (!task.frozen) {
    task.frozen = true;
    killGroup(task.pid, 'SIGSTOP');
    task.limits.holdTimeout();
  }
  send({ type: 'frozen', id });
}

function thaw(task) {
  task.frozen = false;
  killGroup(task.pid, 'SIGCONT');
  task.limits.resumeTimeout();
}

process.on('message', (message) => {
  // Tracked up to the start (or not) of the task, so that an exit waits for its directory.
  if (message.type === 'spawn') track(runTask(message).catch((err) => send({ type: 'spawn-error', id: message.id, message: err.message })));
  else if (message.type === 'kill') {
    const task = tasks.get(message.id);
    if (!task) return;
    if (task.pid !== undefined) {
      killGroup(task.pid, message.signal);
      // A stopped process acts on a caught SIGTERM only once continued; SIGCONT after the signal,
      // so it does nothing else first.
      // Its timeout stays held: it is ending, and the runner's SIGKILL follows the grace.
      if (task.frozen) {
        task.frozen = false;
        killGroup(task.pid, 'SIGCONT');
      }
    } else task.killedWith ??= message.signal;
  } else if (message.type === 'freeze') freeze(message.id);
  else if (message.type === 'thaw') {
    const task = tasks.get(message.id);
    if (task?.frozen) thaw(task);
  }
});

// The runner is gone (taskd stopped or crashed): no task may outlive it unobserved. Directories
// being removed are finished first; those of tasks still held are removed too.
process.on('disconnect', () => {
  closing = true;
  const held = [...tasks.values()];
  for (const task of held) if (task.pid !== undefined) killGroup(task.pid, 'SIGKILL');
  for (const task of held) if (task.pid !== undefined) removeLater(task.cwd);
  for (const task of held) if (task.cgroups) track(task.cgroups.remove());
  const finish = async () => {
    // A copy that was in progress adds its removal once it ends.
    while (fileWork.size) await Promise.allSettled([...fileWork]);
    process.exit(0);
  };
  void finish();
});
