// Finding the task supervisor of a data directory from the host's /proc: for tests and checks
// that kill it on purpose.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The pid of the supervisor serving this data directory, if one runs. */
export function supervisorPidOf(dataDir: string): number | undefined {
  const runDir = path.join(path.resolve(dataDir), 'run');
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.endsWith('supervisor.mjs')) && args.includes(runDir)) return Number(name);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}
