// Per-task cgroup v1 memory and pids groups, where this host has those v1 hierarchies and lets
// taskd write to them (taskd as root in a VM or container with a hybrid or v1 layout). Each task
// gets `taskd-<task guid>` children under the cgroups the supervisor itself is in; its group
// leader joins them right after spawn (what it forks later inherits them) and they are removed
// once the task is gone. The memory group is the hard bound (the kernel OOM-kills inside it);
// the pids group makes fork (and thread creation: v1 pids counts threads) fail at the limit.
// The /proc watchdogs stay on beside them. Plain JavaScript, Node's own imports only.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { note } from '../supervisor/note.mjs';

const MB = 1024 * 1024;

/** The v1 memory and pids directories this process is in, or undefined each where none. */
export function ownV1Dirs() {
  const dirs = {};
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, controllers, at] = line.split(':');
      if (!controllers || at === undefined) continue;
      for (const c of controllers.split(',')) {
        if ((c === 'memory' || c === 'pids') && existsSync(`/sys/fs/cgroup/${c}${at}/cgroup.procs`)) dirs[c] = `/sys/fs/cgroup/${c}${at === '/' ? '' : at}`;
      }
    }
  } catch {
    // No /proc: no cgroups.
  }
  return dirs;
}

/** Whether a child group can be made (and removed again) under `dir`. */
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

const own = ownV1Dirs();

export class TaskCgroups {
  /** Makes the groups of one task; whichever cannot be made is simply not used. */
  constructor(name, limits) {
    this.memory = undefined;
    this.pids = undefined;
    if (!limits) return;
    if (own.memory) {
      const dir = `${own.memory}/${name}`;
      try {
        mkdirSync(dir);
        this.memory = dir;
        const bytes = String(limits.memoryMb * MB);
        writeFileSync(`${dir}/memory.limit_in_bytes`, bytes);
        // Swap is bounded too, where the kernel accounts it: else the limit only moves pages out.
        if (existsSync(`${dir}/memory.memsw.limit_in_bytes`)) writeFileSync(`${dir}/memory.memsw.limit_in_bytes`, bytes);
      } catch {
        this.removeOne('memory');
      }
    }
    if (own.pids) {
      const dir = `${own.pids}/${name}`;
      try {
        mkdirSync(dir);
        this.pids = dir;
        writeFileSync(`${dir}/pids.max`, String(limits.maxProcesses));
      } catch {
        this.removeOne('pids');
      }
    }
  }

  /** The task's group leader joins its groups; one it cannot join is given up. */
  join(pid) {
    for (const kind of ['memory', 'pids']) {
      if (!this[kind]) continue;
      try {
        writeFileSync(`${this[kind]}/cgroup.procs`, String(pid));
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

  /** SIGKILLs what is left in the groups (also processes that left the process group). */
  killAll() {
    for (const kind of ['memory', 'pids']) {
      if (!this[kind]) continue;
      let pids = [];
      try {
        pids = readFileSync(`${this[kind]}/cgroup.procs`, 'utf8').split('\n').filter(Boolean);
      } catch {
        continue;
      }
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
    }
  }

  removeOne(kind) {
    if (!this[kind]) return true;
    try {
      rmdirSync(this[kind]);
      this[kind] = undefined;
      return true;
    } catch (err) {
      if (err.code === 'ENOENT') {
        this[kind] = undefined;
        return true;
      }
      return false;
    }
  }

  /** Removes the groups once empty: what is left is killed, and the removal retried a while. */
  async remove() {
    for (let attempt = 0; attempt < 50; attempt++) {
      this.killAll();
      const memoryGone = this.removeOne('memory');
      const pidsGone = this.removeOne('pids');
      if (memoryGone && pidsGone) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    note(`cgroups ${this.memory ?? ''} ${this.pids ?? ''} could not be removed`);
  }
}
