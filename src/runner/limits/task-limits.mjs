// The limits of one task, enforced by the task supervisor around its process group: log rate
// (a token bucket on its output), timeout (SIGTERM, SIGKILL after the grace, as a cancel does;
// held while the task is paused),
// and — by watching the group from /proc — memory, processes and disk. Whatever is exceeded
// first names the task's failure; the group is killed at once. Plain JavaScript: the helper
// loads it without loaders.
//
// The failure reasons are worded here, in taskd's words (CF has no such limits on tasks beyond
// Diego's memory and disk, which kill the container without a reason of their own).
import { LogRateLimit } from './log-rate.mjs';
import { groupUsage, treeBytes } from './group-usage.mjs';

/** @import { EnforcedLimits } from './limits-of-task.js' */
/** @import { GroupUsage } from './group-usage.mjs' */
/** @import { TaskCgroups } from './cgroup-v1.mjs' */

const MB = 1024 * 1024;
/** How often group memory and process counts are read: a fork bomb gets this long. */
const WATCH_MS = 250;
/** How often the working directory is measured (a walk of it costs more than /proc reads). */
const DISK_EVERY_TICKS = 4;
/** One notice line per second at most, while output is being dropped. */
const NOTICE_MS = 1000;

/**
 * Tasks whose groups are watched, all read in one pass over /proc per tick.
 * @type {Set<TaskLimits>}
 */
const watched = new Set();
/** @type {NodeJS.Timeout | undefined} */
let watchTimer;
let tick = 0;

function watchAll() {
  tick += 1;
  // Watched from start(), which sets each task's pid.
  const usage = groupUsage([...watched].map((t) => /** @type {number} */ (t.pid)));
  for (const task of watched) task.check(usage.get(/** @type {number} */ (task.pid)), tick % DISK_EVERY_TICKS === 0);
}

export class TaskLimits {
  /**
   * @param {EnforcedLimits | undefined} limits none: nothing is enforced
   * @param {string} cwd the task's working directory, measured for the disk limit
   * @param {(signal: NodeJS.Signals) => void} killGroup signals the task's process group
   * @param {(text: string) => void} notify writes a notice line to the task's stderr
   * @param {TaskCgroups} [cgroups] the task's cgroups, where the host
   *   gives them: the hard bounds, whose hits (an OOM kill, a fork refused) name the failure
   * @param {() => Promise<boolean>} [filesystemFull] whether the task's own filesystem, where it
   *   has one, is full: the kernel bounds its disk (ENOSPC), so nothing is watched, and a task
   *   that fails with it full failed of its disk limit
   */
  constructor(limits, cwd, killGroup, notify, cgroups, filesystemFull) {
    this.filesystemFull = filesystemFull;
    this.limits = limits;
    this.cgroups = cgroups;
    this.cwd = cwd;
    this.killGroup = killGroup;
    this.notify = notify;
    this.rate = limits && limits.logRate >= 0 ? new LogRateLimit(limits.logRate) : undefined;
    /** The failure reason of the first limit exceeded. */
    /** @type {string | undefined} */
    this.exceeded = undefined;
    /** @type {NodeJS.Timeout[]} */
    this.timers = [];
    this.measuring = false;
    /** The timeout's timer while it runs, and the time it had left when it (re)started. */
    /** @type {NodeJS.Timeout | undefined} */
    this.timeoutTimer = undefined;
    /** @type {number | undefined} */
    this.timeoutLeftMs = undefined;
    this.timeoutSince = 0;
    this.stopped = false;
  }

  /**
   * Arguments for `/bin/sh -c`: with a disk limit, no single file may grow past it either
   * (RLIMIT_FSIZE, in the 512-byte blocks of dash's `ulimit -f`); a write beyond it fails at
   * once, where the directory watch would only notice within a second. `exec` keeps the
   * shell's pid, which is the group's id.
   * @param {string} command
   */
  shellArgs(command) {
    if (!this.limits) return ['-c', command];
    const blocks = Math.ceil((this.limits.diskMb * MB) / 512);
    return ['-c', 'ulimit -f "$1" && exec /bin/sh -c "$2"', 'sh', String(blocks), command];
  }

  /** @param {number} pid the group's leader */
  start(pid) {
    this.pid = pid;
    const { limits } = this;
    if (!limits) return;
    if (this.rate) this.every(NOTICE_MS, () => this.flushNotice());
    if (limits.timeoutSeconds) {
      this.timeoutLeftMs = limits.timeoutSeconds * 1000;
      this.resumeTimeout();
    }
    watched.add(this);
    watchTimer ??= setInterval(watchAll, WATCH_MS);
  }

  /** The task is frozen: time spent paused does not count towards its timeout. */
  holdTimeout() {
    if (!this.timeoutTimer) return;
    clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    // A running timer had time left.
    this.timeoutLeftMs = Math.max(0, /** @type {number} */ (this.timeoutLeftMs) - (Date.now() - this.timeoutSince));
  }

  /** Starts (or, after a hold, continues) the timeout with the time it has left. */
  resumeTimeout() {
    if (this.timeoutTimer || this.timeoutLeftMs === undefined || this.stopped) return;
    // A timeout is only set from limits.
    const limits = /** @type {EnforcedLimits} */ (this.limits);
    this.timeoutSince = Date.now();
    this.timeoutTimer = setTimeout(() => {
      this.timeoutTimer = undefined;
      this.timeoutLeftMs = undefined;
      this.exceed(`Task timed out after ${limits.timeoutSeconds} seconds`, 'SIGTERM');
      this.timers.push(setTimeout(() => this.killGroup('SIGKILL'), limits.graceSeconds * 1000));
    }, this.timeoutLeftMs);
  }

  /**
   * How many bytes of a chunk of `bytes` output may pass the log rate limit.
   * @param {number} bytes
   */
  admit(bytes) {
    return this.rate ? this.rate.take(bytes) : bytes;
  }

  /** Bytes of output dropped so far. */
  get droppedBytes() {
    return this.rate ? this.rate.dropped : 0;
  }

  flushNotice() {
    const text = this.rate?.notice();
    if (text) this.notify(text);
  }

  /**
   * One reading of the group (undefined: not seen) and, every few ticks, of its directory.
   * @param {GroupUsage | undefined} usage
   * @param {boolean} measureDisk
   */
  check(usage, measureDisk) {
    // Only a task with limits is watched.
    const limits = /** @type {EnforcedLimits} */ (this.limits);
    if (this.exceeded) return;
    if (this.cgroups?.oomKilled) return this.exceed(`Memory limit of ${limits.memoryMb} MB exceeded`);
    if (this.cgroups?.pidsMaxHit) return this.exceed(`Process limit of ${limits.maxProcesses} exceeded`);
    if (!usage) return;
    if (usage.processes > limits.maxProcesses) this.exceed(`Process limit of ${limits.maxProcesses} exceeded`);
    else if (usage.rssBytes > limits.memoryMb * MB) this.exceed(`Memory limit of ${limits.memoryMb} MB exceeded`);
    else if (measureDisk && !this.measuring && !this.filesystemFull) void this.checkDisk();
  }

  async checkDisk() {
    const limits = /** @type {EnforcedLimits} */ (this.limits);
    this.measuring = true;
    try {
      if ((await treeBytes(this.cwd)) > limits.diskMb * MB) this.exceed(`Disk limit of ${limits.diskMb} MB exceeded`);
    } finally {
      this.measuring = false;
    }
  }

  /**
   * The shell ended. A write past RLIMIT_FSIZE ends its writer with SIGXFSZ (the shell reports
   * 128 + 25): then the disk limit is what ended the task.
   * @param {number | null} code
   * @param {NodeJS.Signals | null} signal
   */
  async ended(code, signal) {
    this.stop();
    if (this.limits && !this.exceeded && this.cgroups?.oomKilled) this.exceeded = `Memory limit of ${this.limits.memoryMb} MB exceeded`;
    if (this.limits && !this.exceeded && (code !== 0 || signal) && this.cgroups?.pidsMaxHit)
      this.exceeded = `Process limit of ${this.limits.maxProcesses} exceeded`;
    const failed = code !== 0 || signal;
    if (this.limits && !this.exceeded && this.filesystemFull && failed) {
      if (await this.filesystemFull()) this.exceeded = `Disk limit of ${this.limits.diskMb} MB exceeded`;
    } else if (this.limits && !this.exceeded && (signal === 'SIGXFSZ' || code === 153)) {
      if ((await treeBytes(this.cwd)) >= this.limits.diskMb * MB) this.exceeded = `Disk limit of ${this.limits.diskMb} MB exceeded`;
    }
    this.flushNotice();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    for (const timer of this.timers) {
      clearTimeout(timer);
      clearInterval(timer);
    }
    this.timers = [];
    watched.delete(this);
    if (!watched.size && watchTimer) {
      clearInterval(watchTimer);
      watchTimer = undefined;
    }
  }

  /**
   * @param {string} reason
   * @param {NodeJS.Signals} [signal]
   */
  exceed(reason, signal = 'SIGKILL') {
    if (this.exceeded) return;
    this.exceeded = reason;
    watched.delete(this);
    this.killGroup(signal);
  }

  /**
   * @param {number} ms
   * @param {() => void} fn
   */
  every(ms, fn) {
    this.timers.push(setInterval(fn, ms));
  }
}
