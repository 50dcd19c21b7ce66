// What runs on this host for one trial, read from /proc: the task supervisor of a data directory,
// and every live process that belongs to the trial — a task's (its environment names one of the
// trial's task guids, or it is in a process group a task started), or any whose command line or
// working directory lies in the trial's data directory. Zombies do not count: they hold nothing
// and PID 1 reaps them in its own time.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export interface HostProcess {
  pid: number;
  pgid: number;
  command: string;
  why: string;
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

function statOf(pid: number): { state: string; pgid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, pgid: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return '';
  }
}

/** The pid of the task supervisor serving this data directory, if one runs. */
export function supervisorPid(dataDir: string): number | undefined {
  const runDir = path.join(path.resolve(dataDir), 'run');
  for (const pid of pids()) {
    const args = read(`/proc/${pid}/cmdline`).split('\0');
    if (args.some((a) => a.endsWith('supervisor.mjs')) && args.includes(runDir)) {
      const stat = statOf(pid);
      if (stat && stat.state !== 'Z') return pid;
    }
  }
  return undefined;
}

/** Whether a live process carries TASKD_TASK_GUID=<guid> (the task's shell or any child of it). */
export function taskProcessAlive(guid: string): boolean {
  const marker = `\0TASKD_TASK_GUID=${guid}\0`;
  for (const pid of pids()) {
    if (!`\0${read(`/proc/${pid}/environ`)}`.includes(marker)) continue;
    const stat = statOf(pid);
    if (stat && stat.state !== 'Z' && stat.state !== 'X') return true;
  }
  return false;
}

/** Live processes of the trial, each with the reason it counts as the trial's. */
export function trialProcesses(dataDir: string, taskGuids: ReadonlySet<string>, taskGroups: ReadonlySet<number>): HostProcess[] {
  const root = path.resolve(dataDir);
  const found: HostProcess[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    const stat = statOf(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    const command = read(`/proc/${pid}/cmdline`).split('\0').join(' ').trim();
    let why: string | undefined;
    const guid = /(?:^|\0)TASKD_TASK_GUID=([0-9a-f-]{36})(?:\0|$)/.exec(read(`/proc/${pid}/environ`))?.[1];
    if (guid && taskGuids.has(guid)) why = `task ${guid}'s process`;
    else if (taskGroups.has(stat.pgid)) why = `in process group ${stat.pgid} of a task`;
    else if (command.includes(root)) why = 'its command line names the data directory';
    else {
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // Gone, or not ours to read.
      }
      if (cwd === root || cwd.startsWith(`${root}/`)) why = `its working directory is ${cwd}`;
    }
    if (why) found.push({ pid, pgid: stat.pgid, command: command.slice(0, 160), why });
  }
  return found;
}
