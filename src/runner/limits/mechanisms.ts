// Which mechanism enforces each task limit on this host, said honestly: logged when the runner
// starts and shown by GET /v3/info. The task supervisor watches each task's process group from
// /proc (memory, processes) and its working directory (disk). Where this host's cgroup v1 memory
// and pids hierarchies are writable, each task also gets its own v1 groups there, the hard bound
// (they also hold processes that leave the group with setsid, and stop a fork at the limit rather
// than up to 250 ms later). cgroup v2 is not used yet: the v2 probe below says whether this host
// would delegate it.
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';

export interface LimitMechanisms {
  /** 'cgroup v1': a per-task v1 cgroup is the hard bound, the watchdog runs beside it. */
  memory: 'watchdog' | 'cgroup v1';
  processes: 'watchdog' | 'cgroup v1';
  disk: 'watchdog + RLIMIT_FSIZE';
  log_rate: 'token bucket';
  timeout: 'timer';
}

/**
 * Whether the task supervisor (started by this process, in the same cgroups) can give each task
 * its own cgroup v1 `controller` group (limits/cgroup-v1.mjs): this process's v1 group of that
 * controller exists and a child group can be made and removed under it.
 */
export function cgroupV1Writable(controller: 'memory' | 'pids'): boolean {
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, controllers, at] = line.split(':');
      if (!controllers || at === undefined || !controllers.split(',').includes(controller)) continue;
      const dir = `/sys/fs/cgroup/${controller}${at === '/' ? '' : at}`;
      if (!existsSync(`${dir}/cgroup.procs`)) return false;
      const probe = `${dir}/taskd-probe-${process.pid}`;
      mkdirSync(probe);
      rmdirSync(probe);
      return true;
    }
  } catch {
    // Not writable (or no /proc): the watchdog alone.
  }
  return false;
}

export const LIMIT_MECHANISMS: LimitMechanisms = {
  memory: cgroupV1Writable('memory') ? 'cgroup v1' : 'watchdog',
  processes: cgroupV1Writable('pids') ? 'cgroup v1' : 'watchdog',
  disk: 'watchdog + RLIMIT_FSIZE',
  log_rate: 'token bucket',
  timeout: 'timer',
};

/**
 * Whether cgroup v2 offers taskd's own cgroup the memory and pids controllers — the condition for
 * enforcing those limits by cgroup — and if not, why.
 */
export function cgroupV2Support(): { usable: boolean; reason: string } {
  try {
    // On a v2-only host the hierarchy is /sys/fs/cgroup; on a hybrid one, /sys/fs/cgroup/unified.
    const root = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
    const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
    if (!own || !existsSync(`${root}/cgroup.controllers`)) return { usable: false, reason: 'no cgroup v2 hierarchy' };
    const controllers = readFileSync(`${root}${own.slice(3)}/cgroup.controllers`, 'utf8').trim().split(/\s+/);
    const missing = ['memory', 'pids'].filter((c) => !controllers.includes(c));
    if (missing.length) return { usable: false, reason: `cgroup v2 lacks the ${missing.join(' and ')} controller here (bound to cgroup v1?)` };
    return { usable: true, reason: 'cgroup v2 memory and pids controllers available (not used yet)' };
  } catch (err) {
    return { usable: false, reason: `cgroups unreadable: ${(err as Error).message}` };
  }
}
