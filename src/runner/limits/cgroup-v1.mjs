// Per-task cgroup v1 groups, where this host has the v1 hierarchies and lets taskd write to them
// (taskd as root in a VM or container with a hybrid or v1 layout). Each task gets `taskd-<task
// guid>` children under the cgroups the supervisor itself is in: memory (the kernel OOM-kills
// inside it; swap bounded too), pids (fork and thread creation fail at the limit), cpu (a weight
// by memory, as Cloud Foundry gives CPU, and a hard quota) and freezer (pause stops every process
// of the task, also those that left its process group with setsid). Membership is inherited and a
// task cannot leave its groups: it sees no cgroup filesystem. The groups are removed once empty.
// Plain JavaScript, Node's own imports only.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { note } from '../supervisor/note.mjs';

/** @typedef {'memory' | 'pids' | 'cpu' | 'freezer'} Controller */

const MB = 1024 * 1024;
/** @type {Controller[]} */
const CONTROLLERS = ['memory', 'pids', 'cpu', 'freezer'];
/** CFS period: quotas are microseconds of CPU per 100 ms, the kernel's default period. */
const CPU_PERIOD_US = 100_000;
const FREEZE_POLL_MS = 10;

/**
 * The v1 directories of `controllers` this process is in, each where the host has it.
 * @param {readonly string[]} [controllers]
 * @returns {Record<string, string | undefined>}
 */
export function ownV1Dirs(controllers = CONTROLLERS) {
  /** @type {Record<string, string | undefined>} */
  const dirs = {};
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, names, at] = line.split(':');
      if (!names || at === undefined) continue;
      for (const c of names.split(',')) {
        const dir = `/sys/fs/cgroup/${c}${at === '/' ? '' : at}`;
        if (controllers.includes(c) && existsSync(`${dir}/cgroup.procs`)) dirs[c] = dir;
      }
    }
  } catch {
    // No /proc: no cgroups.
  }
  return dirs;
}

/**
 * Whether a child group can be made (and removed again) under `dir`.
 * @param {string | undefined} dir
 */
export function canCreateUnder(dir) {
  if (!dir) return false;
  const probe = `${dir}/taskd-probe-${process.pid}`;
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {string} file
 * @param {string} [key] the line's name in a `name value` file; none: the file is one number
 */
function readNumber(file, key) {
  try {
    const text = readFileSync(file, 'utf8');
    if (!key) return Number(text.trim());
    const line = text.split('\n').find((l) => l.startsWith(`${key} `));
    return line ? Number(line.slice(key.length + 1)) : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU weight by memory, as Cloud Foundry weighs containers: 1 share per MB, among the tasks (their
 * common group weighs against everything else, see TASKS_CPU_SHARES).
 */
/** @param {number} memoryMb */
function cpuShares(memoryMb) {
  return Math.min(262_144, Math.max(2, Math.round(memoryMb)));
}

const own = ownV1Dirs();

/**
 * Every task's cpu group lives under one group, `taskd-tasks`, which weighs as much as one busy
 * process beside it (taskd, its supervisor). CPU weights divide only what is contended: with
 * taskd idle the tasks share every core as their own weights say, but when taskd (its API, its
 * runner, this supervisor) needs a core it gets its share, however many tasks run. Without it
 * each task weighed as much as taskd itself, and a tenant's dozens of tasks held the API of every
 * tenant to a sliver of a core (tenants check). Less than one process's weight made the tasks'
 * own start (the sandbox's set-up runs in the task's group) wait on a busy API instead. Kubernetes
 * keeps its pods under one kubepods group likewise, apart from the node's own daemons.
 *
 * Inside it, each organization has a group of its own, all of equal weight, and its tasks' groups
 * are in it: CPU is shared fairly between tenants first (as the runner's slots are), and between
 * one tenant's tasks by their memory. One tenant's hundred tasks get as much as another's one
 * when both want more than there is.
 */
const TASKS_CPU_SHARES = 1024;
const TASKS_CPU_GROUP = 'taskd-tasks';
/** An organization's group is named by its guid, which taskd made: anything else is not used as a path. */
const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** @type {string | undefined} */
let tasksCpuDir;

/** The tasks' cpu group, made on first use; undefined where it cannot be (each task's group then sits beside taskd). */
function tasksCpuGroup() {
  if (!own.cpu || tasksCpuDir) return tasksCpuDir;
  const dir = `${own.cpu}/${TASKS_CPU_GROUP}`;
  try {
    // Shared by every supervisor on the host, and never removed: another may be using it.
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/cpu.shares`, String(TASKS_CPU_SHARES));
    tasksCpuDir = dir;
  } catch {
    // Not allowed here.
  }
  return tasksCpuDir;
}

/**
 * Where a task's group of this controller is made: cpu under its tenant's group (made here if
 * need be), the others under the supervisor's own groups.
 * @param {Controller} kind
 * @param {string} name
 * @param {string | undefined} tenant
 */
function groupDir(kind, name, tenant) {
  if (kind !== 'cpu') return own[kind] && `${own[kind]}/${name}`;
  const tasks = tasksCpuGroup();
  if (!tasks) return own.cpu && `${own.cpu}/${name}`;
  if (!tenant || !TENANT.test(tenant)) return `${tasks}/${name}`;
  mkdirSync(`${tasks}/org-${tenant}`, { recursive: true });
  return `${tasks}/org-${tenant}/${name}`;
}

/**
 * A task's cpu group wherever it was made (its tenant is not known to a supervisor cleaning up).
 * @param {string} name
 */
function existingCpuGroup(name) {
  const tasks = tasksCpuGroup();
  const candidates = tasks
    ? [
        `${tasks}/${name}`,
        ...readdirSync(tasks, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => `${tasks}/${e.name}/${name}`),
      ]
    : [`${own.cpu}/${name}`];
  return candidates.find((dir) => existsSync(dir));
}

/**
 * Removes an organization's cpu group once its last task's is gone; one still in use (or being
 * made use of by another supervisor) stays.
 * @param {string} taskGroup
 */
function removeEmptyTenantGroup(taskGroup) {
  const parent = taskGroup.slice(0, taskGroup.lastIndexOf('/'));
  if (!parent.slice(parent.lastIndexOf('/') + 1).startsWith('org-')) return;
  try {
    rmdirSync(parent);
  } catch {
    // Not empty: another task of the organization runs.
  }
}

export class TaskCgroups {
  /**
   * Makes the groups of one task; whichever cannot be made is simply not used.
   * @param {string} name
   * @param {{ memoryMb: number, maxProcesses: number, cpuCores?: number } | undefined} limits
   * @param {string} [tenant] the task's organization guid: its cpu group is in the organization's
   */
  constructor(name, limits, tenant) {
    this.tenant = tenant;
    // Each controller's group of the task, while it has one.
    /** @type {string | undefined} */
    this.memory = undefined;
    /** @type {string | undefined} */
    this.pids = undefined;
    /** @type {string | undefined} */
    this.cpu = undefined;
    /** @type {string | undefined} */
    this.freezer = undefined;
    // The freezer serves pause, which every task has, limits or not.
    this.make('freezer', name, () => {});
    if (!limits) return;
    this.make('memory', name, (dir) => {
      const bytes = String(limits.memoryMb * MB);
      writeFileSync(`${dir}/memory.limit_in_bytes`, bytes);
      // Swap is bounded too, where the kernel accounts it: else the limit only moves pages out.
      if (existsSync(`${dir}/memory.memsw.limit_in_bytes`)) writeFileSync(`${dir}/memory.memsw.limit_in_bytes`, bytes);
    });
    this.make('pids', name, (dir) => writeFileSync(`${dir}/pids.max`, String(limits.maxProcesses)));
    this.make('cpu', name, (dir) => {
      writeFileSync(`${dir}/cpu.shares`, String(cpuShares(limits.memoryMb)));
      if (limits.cpuCores) {
        writeFileSync(`${dir}/cpu.cfs_period_us`, String(CPU_PERIOD_US));
        writeFileSync(`${dir}/cpu.cfs_quota_us`, String(Math.round(limits.cpuCores * CPU_PERIOD_US)));
      }
    });
  }

  /**
   * The groups a task of a dead supervisor left behind, to be removed (killing what is in them).
   * @param {string} name
   */
  static leftBehind(name) {
    // Not through the constructor, which would make a freezer group.
    /** @type {TaskCgroups} */
    const groups = Object.create(TaskCgroups.prototype);
    for (const kind of CONTROLLERS) {
      const dir = kind === 'cpu' ? existingCpuGroup(name) : groupDir(kind, name, undefined);
      groups[kind] = dir && existsSync(dir) ? dir : undefined;
    }
    return groups;
  }

  /**
   * @param {Controller} kind
   * @param {string} name
   * @param {(dir: string) => void} configure
   */
  make(kind, name, configure) {
    try {
      // Twice: another supervisor may remove the tenant's group between its making and this one's.
      const dir = groupDir(kind, name, this.tenant);
      if (!dir) return;
      try {
        mkdirSync(dir);
      } catch (err) {
        if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') throw err;
        mkdirSync(/** @type {string} */ (groupDir(kind, name, this.tenant)));
      }
      this[kind] = dir;
      configure(dir);
    } catch {
      this.removeOne(kind);
    }
  }

  /**
   * The task's first process joins its groups before it can fork (the supervisor holds it until
   * then); a group it cannot join is given up. Written off the event loop: the kernel makes the
   * first move of a burst wait out an RCU grace period (7–16 ms here), which the supervisor
   * spends making the task's working directory instead (task-process.mjs).
   * @param {number} pid
   */
  async join(pid) {
    for (const kind of CONTROLLERS) {
      if (!this[kind]) continue;
      try {
        await writeFile(`${this[kind]}/cgroup.procs`, String(pid));
      } catch {
        this.removeOne(kind);
      }
    }
  }

  /** Whether the kernel OOM-killed a process of the task. */
  get oomKilled() {
    return this.memory ? readNumber(`${this.memory}/memory.oom_control`, 'oom_kill') > 0 : false;
  }

  /** Whether a fork (or clone) of the task failed at pids.max. */
  get pidsMaxHit() {
    return this.pids ? readNumber(`${this.pids}/pids.events`, 'max') > 0 : false;
  }

  /** Periods in which the task used up its CPU quota. */
  get cpuThrottledPeriods() {
    return this.cpu ? readNumber(`${this.cpu}/cpu.stat`, 'nr_throttled') : 0;
  }

  /** The task's processes, from the first group that holds them (every group holds them all). */
  processIds() {
    for (const kind of /** @type {Controller[]} */ (['freezer', 'memory', 'pids', 'cpu'])) {
      if (!this[kind]) continue;
      try {
        return readFileSync(`${this[kind]}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
      } catch {
        // Try the next.
      }
    }
    return [];
  }

  /** Whether pause can freeze every process of the task. */
  get canFreeze() {
    return this.freezer !== undefined;
  }

  /**
   * Freezes the whole task; resolves true once the kernel says it is frozen, false if it cannot
   * be or `wanted()` stops holding first. Forks racing the freeze can leave it FREEZING a while:
   * the write is repeated until it takes.
   * @param {() => boolean} wanted
   */
  async freeze(wanted) {
    if (!this.freezer) return false;
    while (wanted()) {
      try {
        writeFileSync(`${this.freezer}/freezer.state`, 'FROZEN');
        if (readFileSync(`${this.freezer}/freezer.state`, 'utf8').trim() === 'FROZEN') return true;
      } catch {
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, FREEZE_POLL_MS));
    }
    return false;
  }

  thaw() {
    if (!this.freezer) return;
    try {
      writeFileSync(`${this.freezer}/freezer.state`, 'THAWED');
    } catch {
      // Gone already.
    }
  }

  /** SIGKILLs every process left in the groups (also those that left the process group), thawed to die. */
  killAll() {
    for (const pid of this.processIds()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    // A frozen process dies of SIGKILL only once thawed.
    this.thaw();
  }

  /** @param {Controller} kind */
  removeOne(kind) {
    const dir = this[kind];
    if (!dir) return true;
    try {
      rmdirSync(dir);
      this[kind] = undefined;
      if (kind === 'cpu') removeEmptyTenantGroup(dir);
      return true;
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') {
        this[kind] = undefined;
        return true;
      }
      return false;
    }
  }

  /**
   * Removes the groups once empty: what is left is killed, and the removal retried a while.
   * Resolves whether the task provably has no process left: it had a group, and it emptied.
   */
  async remove() {
    const held = CONTROLLERS.some((kind) => this[kind]);
    for (let attempt = 0; attempt < 50; attempt++) {
      this.killAll();
      if (CONTROLLERS.map((kind) => this.removeOne(kind)).every(Boolean)) return held;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    note(
      `cgroups of ${CONTROLLERS.map((kind) => this[kind])
        .filter(Boolean)
        .join(' ')} could not be removed`,
    );
    return false;
  }
}
