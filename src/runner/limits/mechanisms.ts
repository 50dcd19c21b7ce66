// Which mechanism enforces each task limit on this host, said honestly: logged when the runner
// starts and shown by GET /v3/info. The task supervisor watches each task's process group from
// /proc (memory, processes). Where this host's cgroup v1 hierarchies are writable, each task also
// gets its own v1 groups there, the hard bound (they also hold processes that leave the group with
// setsid, stop a fork at the limit rather than up to 250 ms later, weigh and cap its CPU, and
// freeze it whole on pause). Where taskd is root and loop mounts work, each task's directory is a
// filesystem of its own sized to its disk limit; elsewhere a watchdog walks it. cgroup v2 is not
// used yet: the v2 probe below says whether this host would delegate it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canCreateUnder, ownV1Dirs } from './cgroup-v1.mjs';
import { probeTaskFilesystems } from './task-filesystem.mjs';
import type { Config } from '../../config.js';

export interface LimitMechanisms {
  /** 'cgroup v1': a per-task v1 cgroup is the hard bound, the watchdog runs beside it. */
  memory: 'watchdog' | 'cgroup v1';
  processes: 'watchdog' | 'cgroup v1';
  disk: 'filesystem per task' | 'watchdog + RLIMIT_FSIZE';
  /** A weight by organization, then by memory_in_mb, and a quota of TASKD_TASK_CPU_CORES; or nothing at all. */
  cpu: string;
  pause: 'cgroup v1 freezer' | 'SIGSTOP to the process group';
  log_rate: 'token bucket';
  timeout: 'timer';
}

/** Whether the task supervisor (started by this process, in its cgroups) can make `controller` groups. */
function cgroupV1Writable(controller: 'memory' | 'pids' | 'cpu' | 'freezer'): boolean {
  return canCreateUnder(ownV1Dirs([controller])[controller]);
}

let filesystems: Promise<{ usable: boolean; reason: string }> | undefined;

/** Whether tasks get filesystems of their own here, probed once per process. */
export function taskFilesystemSupport(): Promise<{ usable: boolean; reason: string }> {
  filesystems ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'taskd-disk-probe-'));
    try {
      return await probeTaskFilesystems(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return filesystems;
}

let mechanisms: Promise<LimitMechanisms> | undefined;

/** How this host enforces each limit; the same answer for the whole process. */
export function limitMechanisms(config: Pick<Config, 'taskCpuCores'>): Promise<LimitMechanisms> {
  mechanisms ??= (async () => ({
    memory: cgroupV1Writable('memory') ? 'cgroup v1' : 'watchdog',
    processes: cgroupV1Writable('pids') ? 'cgroup v1' : 'watchdog',
    disk: (await taskFilesystemSupport()).usable ? 'filesystem per task' : 'watchdog + RLIMIT_FSIZE',
    cpu: cgroupV1Writable('cpu')
      ? `cgroup v1: shared by organization, then by memory_in_mb; quota of ${config.taskCpuCores} cores`
      : 'none',
    pause: cgroupV1Writable('freezer') ? 'cgroup v1 freezer' : 'SIGSTOP to the process group',
    log_rate: 'token bucket',
    timeout: 'timer',
  }))();
  return mechanisms;
}

/**
 * Whether cgroup v2 offers taskd's own cgroup the memory and pids controllers — the condition for
 * enforcing those limits by cgroup — and if not, why.
 */
export function cgroupV2Support(): { usable: boolean; reason: string } {
  try {
    // On a v2-only host the hierarchy is /sys/fs/cgroup; on a hybrid one, /sys/fs/cgroup/unified.
    const root = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
    const own = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (!own || !existsSync(`${root}/cgroup.controllers`)) return { usable: false, reason: 'no cgroup v2 hierarchy' };
    const controllers = readFileSync(`${root}${own.slice(3)}/cgroup.controllers`, 'utf8')
      .trim()
      .split(/\s+/);
    const missing = ['memory', 'pids'].filter((c) => !controllers.includes(c));
    if (missing.length)
      return { usable: false, reason: `cgroup v2 lacks the ${missing.join(' and ')} controller here (bound to cgroup v1?)` };
    return { usable: true, reason: 'cgroup v2 memory and pids controllers available (not used yet)' };
  } catch (err) {
    return { usable: false, reason: `cgroups unreadable: ${(err as Error).message}` };
  }
}

/**
 * How a task sees its droplet at /home/vcap/app: where it has a filesystem of its own, an overlay
 * over the droplet's read-only image (its start costs the same for any droplet); else a copy.
 */
export async function dropletView(): Promise<string> {
  return (await taskFilesystemSupport()).usable
    ? "overlay: the droplet's read-only image under the task's own writable layer"
    : 'a copy of the droplet per task';
}
