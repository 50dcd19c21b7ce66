// One task under the supervisor: its working directory made, its shell started as its own
// process group (in bubblewrap when sandboxed), its limits enforced, its output numbered into
// lines and spooled, and its end recorded in the spool — all independent of taskd, which may come
// and go while the task runs. Plain JavaScript, Node's modules only.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { TaskCgroups } from '../limits/cgroup-v1.mjs';
import { TaskLimits } from '../limits/task-limits.mjs';
import { sandboxExit, taskCommand } from '../sandbox/bwrap-args.mjs';
import { signalSandboxGroup } from '../sandbox/signal-group.mjs';
import { OutputLines } from './output-lines.mjs';
import { spoolLine } from './spool.mjs';
import { prepareWorkdir, removeWorkdirLater, track } from './workdir.mjs';

// Output a task's leftover children still write after its shell exited is not waited for
// forever: a process that escaped the group (setsid) could hold the pipe open indefinitely.
const DRAIN_AFTER_EXIT_MS = 2000;
/** Spooled output waiting for a slow disk above which the task's output is not read until it is written. */
const SPOOL_BEHIND_BYTES = 8 * 1024 * 1024;

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined when gone. */
export function processStartTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * @typedef {{ code: number | null, signal: string | null, exceeded?: string, droppedBytes?: number }
 *   | { spawnError: string } | { lost: string }} TaskEnd
 * @typedef {{ lines(task: SupervisedTask, lines: object[]): void, started(task: SupervisedTask): void,
 *   ended(task: SupervisedTask): void, frozen(task: SupervisedTask): void }} TaskListener
 */

export class SupervisedTask {
  /**
   * @param {string} id the task's guid
   * @param {import('./spool.mjs').Spool} spool
   * @param {TaskListener} listener
   */
  constructor(id, spool, listener) {
    this.id = id;
    this.spool = spool;
    this.listener = listener;
    /** The group leader's pid once started. */
    this.pid = undefined;
    this.sandboxed = false;
    this.frozen = false;
    /** A kill that came before the task could start: it never starts. */
    this.killedWith = undefined;
    /** @type {TaskEnd | undefined} */
    this.end = undefined;
    this.lastSeq = 0;
    this.limits = undefined;
    this.pending = [];
    /** taskd released it while it still ran: it is forgotten as soon as it ends. */
    this.released = false;
    /** The child process once spawned; its output pipes are paused while anything holds them. */
    this.child = undefined;
    /** Why its output is not read now: 'taskd' (its writer is behind), 'client' (the socket is), 'spool' (the disk is). */
    this.outputHolds = new Set();
    /** The shell has exited: what is left in its pipes is read, whatever holds it. */
    this.draining = false;
  }

  /** A task known only from its spool (the supervisor that ran it is gone): it has ended. */
  static recovered(id, spool, lastSeq, end, started) {
    const task = new SupervisedTask(id, spool, undefined);
    task.lastSeq = lastSeq;
    task.end = end;
    /** Its spool says it started: taskd may not have heard so before the supervisor died. */
    task.startedBefore = Boolean(started);
    return task;
  }

  async run({ command, cwd, source, env, limits: taskLimits, sandbox }) {
    await this.spool.append([{ task: { cwd } }]);
    let tree;
    try {
      tree = await prepareWorkdir(source, cwd);
    } catch (err) {
      return this.finish({ spawnError: err.message });
    }
    // Written, and waited for, before the spawn: if this supervisor dies from here on, the task
    // may have run though its processes are gone before the next supervisor looks (ended, or
    // killed by their closed output pipes), and only this record keeps it from being reported
    // never run.
    await this.spool.append([{ spawning: true }]);
    if (this.killedWith) {
      removeWorkdirLater(cwd, tree);
      return this.finish({ code: null, signal: this.killedWith, droppedBytes: 0 });
    }
    const output = new OutputLines((line) => this.queueLine(line));
    // Where the host gives v1 memory and pids cgroups, the task gets its own (none without limits).
    const cgroups = new TaskCgroups(`taskd-${this.id}`, taskLimits);
    let child;
    const limits = new TaskLimits(taskLimits, cwd, (signal) => this.signalGroup(signal), (notice) => output.notice(notice), cgroups);
    const failStart = (err) => {
      removeWorkdirLater(cwd, tree);
      track(cgroups.remove());
      return this.finish({ spawnError: err.message });
    };
    try {
      // In the sandbox (`sandbox`: bwrap's options) the group leader is bwrap, running the shell.
      const run = taskCommand(sandbox, cwd, env, limits.shellArgs(command), taskLimits?.diskMb);
      child = spawn(run.file, run.args, { cwd, env: run.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      return failStart(err);
    }
    if (child.pid === undefined) {
      // Spawn failures arrive as an error event without a pid.
      return new Promise((resolve) => child.once('error', (err) => resolve(failStart(err))));
    }
    child.on('error', () => {});
    this.pid = child.pid;
    this.sandboxed = Boolean(sandbox);
    // At once, before the shell gets to fork: its children are born in the groups.
    cgroups.join(child.pid);
    this.limits = limits;
    void this.spool.append([{ started: { pid: child.pid, startTime: processStartTime(child.pid) } }]);
    this.listener.started(this);
    limits.start(child.pid);

    for (const stream of ['stdout', 'stderr']) {
      child[stream].on('data', (chunk) => {
        const allowed = limits.admit(chunk.length);
        output.write(stream, allowed < chunk.length ? chunk.subarray(0, allowed) : chunk, allowed < chunk.length);
      });
      child[stream].on('end', () => output.end(stream));
    }
    // Only now, with its readers in place: resuming a stream that nobody reads loses what it reads.
    this.child = child;
    this.applyOutputHolds();

    // Listened for from the start: 'close' can follow 'exit' within the same tick.
    const closed = new Promise((resolve) => child.once('close', resolve));
    const [code, signal] = await new Promise((resolve) => child.once('exit', (...status) => resolve(status)));
    limits.stop();
    // What is left in the pipes is read at once, held or not: the drain below waits for it only so long.
    this.draining = true;
    this.applyOutputHolds();
    // A task ends with its shell: processes it left behind in its group go too, as they would
    // with a container's end. Killing them also closes the pipes they hold.
    this.signalGroup('SIGKILL');
    let drainTimer;
    await Promise.race([
      closed,
      new Promise((resolve) => {
        drainTimer = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          resolve();
        }, DRAIN_AFTER_EXIT_MS);
      }),
    ]);
    clearTimeout(drainTimer);
    // Streams cut short by the drain timeout still keep their unterminated last lines.
    output.end('stdout');
    output.end('stderr');
    await limits.ended(code, signal);
    await cgroups.remove();
    removeWorkdirLater(cwd, tree);
    const status = sandbox ? sandboxExit(code, signal) : { code, signal };
    return this.finish({ ...status, ...(limits.exceeded ? { exceeded: limits.exceeded } : {}), droppedBytes: limits.droppedBytes });
  }

  /**
   * Stops (hold true) or goes on (false) reading the task's output for `reason`. Unread output
   * fills the pipe, and then the task's writes wait: backpressure down to the task itself.
   */
  holdOutput(reason, hold) {
    if (this.end) return;
    if (hold) this.outputHolds.add(reason);
    else this.outputHolds.delete(reason);
    this.applyOutputHolds();
  }

  applyOutputHolds() {
    if (!this.child) return;
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (this.outputHolds.size && !this.draining) stream.pause();
      else stream.resume();
    }
  }

  signalGroup(signal) {
    if (this.pid === undefined) return;
    if (this.sandboxed) return signalSandboxGroup(this.pid, signal);
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  /** Signals the whole group; a task still being prepared never starts. */
  kill(signal) {
    if (this.end) return;
    if (this.pid === undefined) {
      this.killedWith ??= signal;
      return;
    }
    this.signalGroup(signal);
    // A stopped process acts on a caught SIGTERM only once continued; SIGCONT after the signal,
    // so it does nothing else first. Its timeout stays held: it is ending, and SIGKILL follows
    // the grace.
    if (this.frozen) {
      this.frozen = false;
      this.signalGroup('SIGCONT');
    }
  }

  /**
   * Pause: the whole group stops (no CPU, no output) and its timeout waits. Only a started task
   * can be frozen; the runner asks again once it has heard that the task started.
   */
  freeze() {
    if (this.pid === undefined || this.end) return;
    if (!this.frozen) {
      this.frozen = true;
      this.signalGroup('SIGSTOP');
      this.limits?.holdTimeout();
    }
    this.listener.frozen(this);
  }

  thaw() {
    if (!this.frozen || this.end) return;
    this.frozen = false;
    this.signalGroup('SIGCONT');
    this.limits?.resumeTimeout();
  }

  /** Lines are spooled and passed on in batches: one append per turn of the event loop. */
  queueLine(line) {
    this.pending.push(line);
    if (this.pending.length === 1) setImmediate(() => this.flushLines());
  }

  flushLines() {
    if (!this.pending.length) return;
    const lines = this.pending;
    this.pending = [];
    this.lastSeq = lines[lines.length - 1].seq;
    void this.spool.append(lines.map(spoolLine));
    if (this.spool.pendingBytes > SPOOL_BEHIND_BYTES && !this.outputHolds.has('spool')) {
      this.holdOutput('spool', true);
      void this.spool.settled().then(() => this.holdOutput('spool', false));
    }
    this.listener.lines(this, lines);
  }

  async finish(end) {
    this.flushLines();
    this.end = end;
    await this.spool.append([{ exit: end }]);
    await this.spool.close();
    this.listener.ended(this);
  }
}
