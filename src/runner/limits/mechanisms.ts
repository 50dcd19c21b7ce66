// Which mechanism enforces each task limit on this host, said honestly: logged when the runner
// starts and shown by GET /v3/info. The spawner helper watches each task's process group from
// /proc (memory, processes) and its working directory (disk); a cgroup would be stronger (it
// also holds processes that leave the group with setsid, and stops a fork at the limit rather
// than up to 250 ms later), but taskd does not create cgroups yet. The probe below tells whether
// this host would delegate one, so the log says what is being missed.
import { existsSync, readFileSync } from 'node:fs';

export interface LimitMechanisms {
  memory: 'watchdog';
  processes: 'watchdog';
  disk: 'watchdog + RLIMIT_FSIZE';
  log_rate: 'token bucket';
  timeout: 'timer';
}

export const LIMIT_MECHANISMS: LimitMechanisms = {
  memory: 'watchdog',
  processes: 'watchdog',
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
