// Finding the task supervisor of a data directory from the host's /proc: for tests and checks
// that kill it on purpose.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The pid of the supervisor serving this data directory, if one runs. */
export function supervisorPidOf(dataDir: string): number | undefined {
  const runDir = path.join(path.resolve(dataDir), 'run');
  const matches = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.endsWith('supervisor.mjs')) && args.includes(runDir)) matches.set(Number(name), parentOf(name));
    } catch {
      // Gone meanwhile.
    }
  }
  // A child the supervisor has just forked (to exec mount, bwrap, ...) carries its command line
  // until it execs; once pids wrap (pid_max is 32768 here), such a child may even come first in
  // /proc. The supervisor is the match whose parent is not a match.
  for (const [pid, parent] of matches) if (!matches.has(parent)) return pid;
  return undefined;
}

/** The parent pid, from /proc/PID/stat (after the command name, which may hold spaces). */
function parentOf(pid: string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
