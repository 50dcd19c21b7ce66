// One task under the supervisor: its working directory made, its shell started as its own
// process group (in bubblewrap when sandboxed), its limits enforced, its output numbered into
// lines and spooled, and its end recorded in the spool — all independent of taskd, which may come
// and go while the task runs. Plain JavaScript, Node's modules only.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { TaskCgroups } from '../limits/cgroup-v1.mjs';
import { TaskLimits } from '../limits/task-limits.mjs';
import { filesystemFull } from '../limits/task-filesystem.mjs';
import { sandboxExit, taskCommand } from '../sandbox/bwrap-args.mjs';
import { seccompProgram } from '../sandbox/seccomp.mjs';
import { signalSandboxGroup } from '../sandbox/signal-group.mjs';
import { OutputLines } from './output-lines.mjs';
import { spoolLine } from './spool.mjs';
import { prepareWorkdir, removeWorkdirLater, track } from './workdir.mjs';

/** @import { ChildProcess } from 'node:child_process' */
/** @import { Readable, Writable } from 'node:stream' */
/** @import { OutputLine, SpawnMessage, TaskEnd } from './protocol.js' */
/** @import { Spool, SpooledStart } from './spool.mjs' */
/** @import { Workdir } from './workdir.mjs' */
/**
 * A task's shell, its output read from pipes (see the spawn's stdio).
 * @typedef {ChildProcess & { stdout: Readable, stderr: Readable }} TaskChild
 */
/**
 * Why a task's output is not read now: 'taskd' (its writer is behind), 'client' (the socket is),
 * 'spool' (the disk is), 'lines' (what was read is still being split into lines).
 * @typedef {'taskd' | 'client' | 'spool' | 'lines'} OutputHold
 */

// Output a task's leftover children still write after its shell exited is not waited for
// forever: a process that escaped the group (setsid) could hold the pipe open indefinitely.
const DRAIN_AFTER_EXIT_MS = 2000;
/** Spooled output waiting for a slow disk above which the task's output is not read until it is written. */
const SPOOL_BEHIND_BYTES = 8 * 1024 * 1024;
/** How fast output past the task's budget is read and thrown away (discardAtBoundedRate). */
const DISCARD_BYTES_PER_SECOND = 16 * 1024 * 1024;

/**
 * The sandbox's syscall filter for this machine's architecture, built once (none where unknown).
 * @type {{ program: Buffer | undefined } | undefined}
 */
let seccomp;
function seccompFilter() {
  seccomp ??= { program: seccompProgram() };
  return seccomp.program;
}

/**
 * The in-task `taskd` helper (progress and messages), shown read-only in every sandbox; read once.
 * @type {Buffer | undefined}
 */
let helperScript;
function taskHelper() {
  helperScript ??= readFileSync(new URL('../task-helper/taskd', import.meta.url));
  return helperScript;
}

/**
 * Signals a process group by its leader; gone already is fine.
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function signalGroupOf(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined when gone.
 * @param {number} pid
 * @returns {string | undefined}
 */
export function processStartTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * @typedef {{ lines(task: SupervisedTask, lines: OutputLine[]): void, started(task: SupervisedTask): void,
 *   ended(task: SupervisedTask): void, frozen(task: SupervisedTask): void }} TaskListener
 */

export class SupervisedTask {
  /**
   * @param {string} id the task's guid
   * @param {Spool} spool
   * @param {TaskListener} listener
   */
  constructor(id, spool, listener) {
    this.id = id;
    this.spool = spool;
    this.listener = listener;
    /**
     * The group leader's pid once started.
     * @type {number | undefined}
     */
    this.pid = undefined;
    this.sandboxed = false;
    this.frozen = false;
    /**
     * A kill that came before the task could start: it never starts.
     * @type {NodeJS.Signals | undefined}
     */
    this.killedWith = undefined;
    /** @type {TaskEnd | undefined} */
    this.end = undefined;
    this.lastSeq = 0;
    /** @type {TaskLimits | undefined} */
    this.limits = undefined;
    /**
     * The task's cgroups while it runs.
     * @type {TaskCgroups | undefined}
     */
    this.cgroups = undefined;
    /** @type {OutputLine[]} */
    this.pending = [];
    /** @type {OutputLines | undefined} */
    this.output = undefined;
    /** taskd released it while it still ran: it is forgotten as soon as it ends. */
    this.released = false;
    /**
     * The child process once spawned; its output pipes are paused while anything holds them.
     * @type {TaskChild | undefined}
     */
    this.child = undefined;
    /**
     * Why its output is not read now.
     * @type {Set<OutputHold>}
     */
    this.outputHolds = new Set();
    /** The shell has exited: what is left in its pipes is read, whatever holds it. */
    this.draining = false;
    /** Its output is over its budget in taskd: read and thrown away (discardOutput). */
    this.discarding = false;
    /**
     * What the task may still pass on of its own output budget (none: taskd alone counts).
     * @type {import('./protocol.js').OutputAllowance | undefined}
     */
    this.allowance = undefined;
    /** Bytes discarded in the current second (discardAtBoundedRate). */
    this.discardWindow = { start: 0, bytes: 0 };
    // Declared for the type checker only: `recovered` sets it.
    /** @type {boolean | undefined} */
    this.startedBefore = undefined;
  }

  /**
   * A task known only from its spool (the supervisor that ran it is gone): it has ended.
   * @param {string} id
   * @param {Spool} spool
   * @param {number} lastSeq
   * @param {TaskEnd} end
   * @param {SpooledStart | undefined} started
   */
  static recovered(id, spool, lastSeq, end, started) {
    // Ended: nothing of it is ever told to a listener.
    const task = new SupervisedTask(id, spool, /** @type {TaskListener} */ (/** @type {unknown} */ (undefined)));
    task.lastSeq = lastSeq;
    task.end = end;
    /** Its spool says it started: taskd may not have heard so before the supervisor died. */
    task.startedBefore = Boolean(started);
    return task;
  }

  /**
   * Runs the task: `identity` ({ uid, gid }) is the host user it runs as (none: the supervisor's
   * own), `disk` asks for a filesystem of its own sized to its disk limit, its image kept in
   * `imagesDir`.
   * @param {SpawnMessage} request
   * @param {string} imagesDir
   */
  async run({ command, cwd, source, env, limits: taskLimits, sandbox, identity, disk, outputBudget, tenant }, imagesDir) {
    this.allowance = outputBudget && { ...outputBudget };
    const filesystem = disk && taskLimits ? { imagesDir, sizeMb: taskLimits.diskMb } : undefined;
    await this.spool.append([{ task: { cwd } }]);
    /** @type {TaskChild} */
    let child;
    /** @type {Workdir | undefined} */
    let tree;
    const output = new OutputLines((line) => this.queueLine(line));
    this.output = output;
    // Where the host gives v1 cgroups, the task gets its own (memory, pids and cpu only with limits).
    const cgroups = new TaskCgroups(`taskd-${this.id}`, taskLimits, tenant);
    this.cgroups = cgroups;
    const full = filesystem ? () => filesystemFull(cwd) : undefined;
    const limits = new TaskLimits(
      taskLimits,
      cwd,
      (signal) => this.signalGroup(signal),
      (notice) => {
        output.notice(notice);
        this.splitOutput();
      },
      cgroups,
      full,
    );
    // A start given up: the waiting process, the directory and the groups go.
    const abandon = () => {
      if (child?.pid !== undefined) signalGroupOf(child.pid, 'SIGKILL');
      void removeWorkdirLater(cwd, tree);
      void track(cgroups.remove());
    };
    /** @param {string} message */
    const failStart = (message) => {
      abandon();
      return this.finish({ spawnError: message });
    };
    let run;
    try {
      // In the sandbox (`sandbox`: bwrap's options) the group leader is bwrap, running the shell.
      run = taskCommand(
        sandbox && { ...sandbox, seccomp: seccompFilter(), helper: taskHelper() },
        cwd,
        env,
        limits.shellArgs(command),
        taskLimits?.diskMb,
      );
      // Started at once, but nothing of the task runs until its inputs are written below: bwrap
      // (or, unsandboxed, the first shell) first reads them. Meanwhile it joins its groups and the
      // working directory is made, side by side. Its own directory is /: the task's is not made
      // yet, and bwrap (or the first shell) changes into it.
      child = /** @type {TaskChild} */ (
        spawn(run.file, run.args, {
          cwd: '/',
          env: run.env,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe', ...run.inputs.map(() => /** @type {const} */ ('pipe'))],
          ...(identity ? { uid: identity.uid, gid: identity.gid } : {}),
        })
      );
    } catch (err) {
      return failStart(/** @type {Error} */ (err).message);
    }
    if (child.pid === undefined) {
      // Spawn failures arrive as an error event without a pid.
      return new Promise((resolve) => child.once('error', (err) => resolve(failStart(err.message))));
    }
    child.on('error', () => {});
    // Before it can fork: it waits for its inputs, so whatever the task starts is born in its groups.
    const joined = cgroups.join(child.pid);
    try {
      tree = await prepareWorkdir(source, cwd, identity, filesystem);
    } catch (err) {
      await joined;
      return failStart(/** @type {Error} */ (err).message);
    }
    await joined;
    // Written, and waited for, before the task can run: if this supervisor dies from here on, the
    // task may have run though its processes are gone before the next supervisor looks (ended, or
    // killed by their closed output pipes), and only this record keeps it from being reported
    // never run.
    await this.spool.append([{ spawning: true }]);
    if (this.killedWith) {
      abandon();
      return this.finish({ code: null, signal: this.killedWith, droppedBytes: 0 });
    }
    this.pid = child.pid;
    this.sandboxed = Boolean(sandbox);
    run.inputs.forEach((data, i) => {
      const pipe = /** @type {Writable} */ (child.stdio[3 + i]);
      pipe.on('error', () => {});
      pipe.end(data);
    });
    this.limits = limits;
    void this.spool.append([{ started: { pid: child.pid, startTime: processStartTime(child.pid) } }]);
    this.listener.started(this);
    limits.start(child.pid);

    for (const stream of /** @type {const} */ (['stdout', 'stderr'])) {
      child[stream].on('data', (chunk) => {
        if (this.discarding) return this.discardAtBoundedRate(child[stream], chunk.length);
        const allowed = limits.admit(chunk.length);
        output.write(stream, allowed < chunk.length ? chunk.subarray(0, allowed) : chunk, allowed < chunk.length);
        this.splitOutput();
      });
      child[stream].on('end', () => output.end(stream));
    }
    // Only now, with its readers in place: resuming a stream that nobody reads loses what it reads.
    this.child = child;
    this.applyOutputHolds();

    // Listened for from the start: 'close' can follow 'exit' within the same tick.
    const closed = new Promise((resolve) => child.once('close', resolve));
    /** @type {[number | null, NodeJS.Signals | null]} */
    const [code, signal] = await new Promise((resolve) => child.once('exit', (...status) => resolve(status)));
    limits.stop();
    // What is left in the pipes is read at once, held or not: the drain below waits for it only so long.
    this.draining = true;
    this.applyOutputHolds();
    // A task ends with its shell: processes it left behind in its group go too, as they would
    // with a container's end. Killing them also closes the pipes they hold.
    this.signalGroup('SIGKILL');
    /** @type {NodeJS.Timeout | undefined} */
    let drainTimer;
    await Promise.race([
      closed,
      /** @type {Promise<void>} */ (
        new Promise((resolve) => {
          drainTimer = setTimeout(() => {
            child.stdout.destroy();
            child.stderr.destroy();
            resolve();
          }, DRAIN_AFTER_EXIT_MS);
        })
      ),
    ]);
    clearTimeout(drainTimer);
    // Streams cut short by the drain timeout still keep their unterminated last lines.
    output.end('stdout');
    output.end('stderr');
    await limits.ended(code, signal);
    // A process that outlived the task (no cgroup to find it by) could write into whatever
    // the next task gets: its filesystem is then not handed on.
    const noneLeft = await cgroups.remove();
    if (tree?.filesystem) tree.filesystem.reusable = noneLeft;
    this.cgroups = undefined;
    void removeWorkdirLater(cwd, tree);
    const status = sandbox ? sandboxExit(code, signal) : { code, signal };
    return this.finish({ ...status, ...(limits.exceeded ? { exceeded: limits.exceeded } : {}), droppedBytes: limits.droppedBytes });
  }

  /**
   * Stops (hold true) or goes on (false) reading the task's output for `reason`. Unread output
   * fills the pipe, and then the task's writes wait: backpressure down to the task itself.
   * @param {OutputHold} reason
   * @param {boolean} hold
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

  /**
   * Splits what was read into lines a slice at a time, one slice per turn of the event loop, the
   * pipes held meanwhile: other tasks' starts and output, and taskd's messages, come in between.
   */
  splitOutput() {
    const output = /** @type {OutputLines} */ (this.output);
    // Draining reads whatever holds the pipes: split as it comes, or the unsplit text (the task's
    // to choose, and not yet counted against its budget) would grow by a read per slice.
    if (this.draining) return void output.work(Infinity);
    if (this.outputHolds.has('lines')) return;
    if (!output.work()) return;
    this.holdOutput('lines', true);
    const next = () => {
      if (output.work()) setImmediate(next);
      else this.holdOutput('lines', false);
    };
    setImmediate(next);
  }

  /**
   * The task's output is over its budget in taskd: from now on it is read and thrown away, neither
   * spooled nor sent. Lines not yet passed on go too.
   */
  discardOutput() {
    this.discarding = true;
    this.pending = [];
    this.output?.drop();
    this.holdOutput('taskd', false);
  }

  /**
   * Output past the budget is read no faster than DISCARD_BYTES_PER_SECOND: read as fast as the
   * pipe fills, a flood (`yes`) cost this supervisor a core, beside the task's own, for as long as
   * it ran. A task printing faster waits on its full pipe (at no CPU) as it would on a slow
   * terminal; one that prints little past its budget never notices. Not once the task has exited:
   * what is left in its pipes is then read at once.
   * @param {import('node:stream').Readable} stream
   * @param {number} bytes
   */
  discardAtBoundedRate(stream, bytes) {
    const now = Date.now();
    if (now - this.discardWindow.start >= 1000) this.discardWindow = { start: now, bytes: 0 };
    this.discardWindow.bytes += bytes;
    if (this.draining || this.discardWindow.bytes < DISCARD_BYTES_PER_SECOND) return;
    stream.pause();
    setTimeout(
      () => {
        if (!this.outputHolds.size || this.draining) stream.resume();
      },
      this.discardWindow.start + 1000 - now,
    ).unref();
  }

  /** @param {NodeJS.Signals} signal */
  signalGroup(signal) {
    if (this.pid === undefined) return;
    if (this.sandboxed) return signalSandboxGroup(this.pid, signal);
    signalGroupOf(this.pid, signal);
  }

  /**
   * Signals the whole group; a task still being prepared never starts.
   * @param {NodeJS.Signals} signal
   */
  kill(signal) {
    if (this.end) return;
    if (this.pid === undefined) {
      this.killedWith ??= signal;
      return;
    }
    this.signalGroup(signal);
    // What left the group (setsid) is still in the task's cgroups: a SIGKILL reaches it there.
    if (signal === 'SIGKILL') this.cgroups?.killAll();
    // A frozen process acts on a caught SIGTERM only once thawed; thawed after the signal, so it
    // does nothing else first. Its timeout stays held: it is ending, and SIGKILL follows the grace.
    if (this.frozen) {
      this.frozen = false;
      this.unfreeze();
    }
  }

  /**
   * Pause: every process of the task stops (no CPU, no output) and its timeout waits — by the
   * cgroup freezer where there is one (it holds processes that left the group with setsid too,
   * and forks racing the freeze), else SIGSTOP to the group. Only a started task can be frozen;
   * the runner asks again once it has heard that the task started.
   */
  async freeze() {
    if (this.pid === undefined || this.end) return;
    if (!this.frozen) {
      this.frozen = true;
      this.limits?.holdTimeout();
      if (this.cgroups?.canFreeze) await this.cgroups.freeze(() => this.frozen && !this.end);
      else this.signalGroup('SIGSTOP');
      // Thawed, killed or ended while the freezer worked.
      if (!this.frozen || this.end) return;
    }
    this.listener.frozen(this);
  }

  thaw() {
    if (!this.frozen || this.end) return;
    this.frozen = false;
    this.unfreeze();
    this.limits?.resumeTimeout();
  }

  unfreeze() {
    if (this.cgroups?.canFreeze) this.cgroups.thaw();
    else this.signalGroup('SIGCONT');
  }

  /**
   * Lines are spooled and passed on in batches: one append per turn of the event loop.
   * @param {OutputLine} line
   */
  queueLine(line) {
    if (this.discarding) return;
    this.pending.push(line);
    if (this.allowance && this.overBudget(line)) {
      // The first line past the budget still goes to taskd, which refuses it and says so (the
      // task's message, the log's last line); the rest is discarded here, at once. Waiting for
      // taskd's discard-output instead let a flood (`yes`) send it hundreds of thousands of lines
      // in the meantime, each parsed and dropped there, stalling the API for seconds.
      this.flushLines();
      this.discardOutput();
      return;
    }
    if (this.pending.length === 1) setImmediate(() => this.flushLines());
  }

  /**
   * Counts the line against the task's allowance; true once it does not fit.
   * @param {OutputLine} line
   */
  overBudget(line) {
    const allowance = /** @type {import('./protocol.js').OutputAllowance} */ (this.allowance);
    allowance.lines -= 1;
    allowance.bytes -= Buffer.byteLength(line.text, 'utf8');
    return allowance.lines < 0 || allowance.bytes < 0;
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

  /** @param {TaskEnd} end */
  async finish(end) {
    this.flushLines();
    this.end = end;
    await this.spool.append([{ exit: end }]);
    await this.spool.close();
    this.listener.ended(this);
  }
}
