// What the campaign looks at from the host's side, as root: a task's processes found by the
// TASKD_TASK_GUID in their environment (the one thing every process of a task carries, whatever
// sandbox runs it), which pid namespace each is in, their cgroups and CPU time, files seen through
// /proc/<pid>/root (the task's own view, without knowing where taskd keeps it), and sentinel
// processes and an abstract unix socket of the host that a task must not be able to touch.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { sleep } from '../support/taskd-process.js';

export interface HostProcess {
  pid: number;
  /** Real uid on the host. */
  uid: number;
  /** Whether it shares the host's (this process's) pid namespace: a sandboxed process does not. */
  inHostPidNamespace: boolean;
  comm: string;
  /** R, S, D, T, Z … from /proc/<pid>/stat. */
  state: string;
}

/** This process's pid namespace (`pid:[n]`), the host's. */
export const HOST_PID_NAMESPACE = readlinkSync('/proc/self/ns/pid');

function readOrUndefined(file: string, encoding: BufferEncoding = 'utf8'): string | undefined {
  try {
    return readFileSync(file, encoding);
  } catch {
    return undefined;
  }
}

function numericDirs(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function describeProcess(pid: number): HostProcess | undefined {
  const status = readOrUndefined(`/proc/${pid}/status`);
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (!status || !stat) return undefined;
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
  return {
    pid,
    uid,
    inHostPidNamespace: ns === HOST_PID_NAMESPACE,
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    state: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?',
  };
}

/** Processes whose environment holds exactly the entry `entry` (NAME=value). */
export function processesWithEnvEntry(entry: string): HostProcess[] {
  const needle = Buffer.from(`${entry}\0`);
  const out: HostProcess[] = [];
  for (const pid of numericDirs()) {
    if (pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    const at = environ.indexOf(needle);
    if (at === 0 || (at > 0 && environ[at - 1] === 0)) {
      const p = describeProcess(pid);
      if (p) out.push(p);
    }
  }
  return out;
}

/** Every process carrying a TASKD_TASK_GUID, by that guid (one pass over /proc). */
export function processesByTaskGuid(): Map<string, HostProcess[]> {
  const out = new Map<string, HostProcess[]>();
  for (const pid of numericDirs()) {
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    const guid = /(?:^|\0)TASKD_TASK_GUID=([^\0]*)/.exec(environ)?.[1];
    const p = guid === undefined ? undefined : describeProcess(pid);
    if (guid !== undefined && p) out.set(guid, [...(out.get(guid) ?? []), p]);
  }
  return out;
}

/** The processes of a task: those carrying its TASKD_TASK_GUID. */
export const taskProcesses = (guid: string) => processesWithEnvEntry(`TASKD_TASK_GUID=${guid}`);

/** Processes whose command line contains `text`. */
export function processesWithCmdline(text: string): HostProcess[] {
  const out: HostProcess[] = [];
  for (const pid of numericDirs()) {
    if (pid === process.pid) continue;
    const cmdline = readOrUndefined(`/proc/${pid}/cmdline`);
    if (cmdline?.includes(text)) {
      const p = describeProcess(pid);
      if (p) out.push(p);
    }
  }
  return out;
}

/** Waits until the task has processes matching `ready` (default: any); [] after the timeout. */
export async function waitForTaskProcesses(
  guid: string,
  timeoutMs: number,
  ready: (ps: HostProcess[]) => boolean = (ps) => ps.length > 0,
): Promise<HostProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = taskProcesses(guid);
    if (ready(found)) return found;
    if (Date.now() > deadline) return [];
    await sleep(100);
  }
}

/** Waits until no process of the task is left; the ones left after the timeout. */
export async function waitForTaskGone(guid: string, timeoutMs: number): Promise<HostProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = taskProcesses(guid);
    if (!left.length || Date.now() > deadline) return left;
    await sleep(100);
  }
}

export const describePids = (ps: HostProcess[]) =>
  ps.length
    ? ps
        .slice(0, 6)
        .map((p) => `${p.comm}[${p.pid}] uid ${p.uid} ${p.inHostPidNamespace ? 'host pid ns' : 'own pid ns'} ${p.state}`)
        .join(', ') + (ps.length > 6 ? ` … ${ps.length} in all` : '')
    : 'none';

/** Mount points of the cgroup v1 hierarchies, by controller (from this process's mountinfo). */
function cgroupMounts(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (readOrUndefined('/proc/self/mountinfo') ?? '').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const [fstype, , superOptions] = right.split(' ');
    if (fstype !== 'cgroup') continue;
    const mountPoint = left.split(' ')[4]!;
    for (const option of (superOptions ?? '').split(',')) out.set(option, mountPoint);
  }
  return out;
}

/** The cgroup v1 directory of `pid` for `controller` (e.g. cpu, memory, pids, freezer), if any. */
export function cgroupDirOf(pid: number, controller: string): string | undefined {
  const mount = cgroupMounts().get(controller);
  if (!mount) return undefined;
  for (const line of (readOrUndefined(`/proc/${pid}/cgroup`) ?? '').split('\n')) {
    const [, controllers, at] = line.split(':');
    if (controllers?.split(',').includes(controller) && at !== undefined) return at === '/' ? mount : `${mount}${at}`;
  }
  return undefined;
}

/** Directories named one of `names` in every cgroup v1 hierarchy, down to `depth` levels. */
export function cgroupDirsNamed(names: Set<string>, depth = 5): string[] {
  const found: string[] = [];
  const walk = (dir: string, level: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const child = `${dir}/${entry.name}`;
      if (names.has(entry.name)) found.push(child);
      else if (level < depth) walk(child, level + 1);
    }
  };
  for (const mount of new Set(cgroupMounts().values())) walk(mount, 1);
  return found;
}

/** `key value` lines of a cgroup file as numbers. */
export function keyedNumbers(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (readOrUndefined(file) ?? '').split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined) out[key] = Number(value);
  }
  return out;
}

export function readNumber(file: string): number | undefined {
  const text = readOrUndefined(file);
  return text === undefined ? undefined : Number(text.trim());
}

/** CPU time (user + system) of a process and its reaped children so far, in seconds; 0 once gone. */
export function cpuSecondsOf(pid: number): number {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A file as a task's process sees it (its mount namespace, through /proc/<pid>/root). */
export function statInTask(pid: number, file: string): { uid: number; gid: number; size: number } | undefined {
  try {
    const st = statSync(`/proc/${pid}/root${file}`);
    return { uid: st.uid, gid: st.gid, size: st.size };
  } catch {
    return undefined;
  }
}

/** Processes on the host a task must not be able to signal: one as root, one as the task's own uid. */
export class Sentinels {
  readonly children: ChildProcess[] = [];

  constructor(taskUid: number) {
    this.children.push(spawn('sleep', ['600'], { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } }));
    this.children.push(spawn('sleep', ['600'], { stdio: 'ignore', uid: taskUid, gid: taskUid, env: { PATH: '/usr/bin:/bin' } }));
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid!).filter((pid) => pid !== undefined);
  }

  /** The sentinels that are dead or stopped, described; empty when all run untouched. */
  harmed(): string[] {
    const out: string[] = [];
    for (const [i, child] of this.children.entries()) {
      const who = `host sentinel ${child.pid} (${i === 0 ? 'root' : "the task's uid"})`;
      const p = child.pid === undefined ? undefined : describeProcess(child.pid);
      if (!p || child.exitCode !== null || child.signalCode !== null) out.push(`${who} was killed (${child.signalCode ?? child.exitCode})`);
      else if (p.state === 'T' || p.state === 't') out.push(`${who} was stopped`);
    }
    return out;
  }

  stop(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
    }
  }
}

/** A listener on an abstract unix socket of the host, counting who connects. */
export class AbstractSocket {
  readonly name = `taskd-sandbox-${randomBytes(6).toString('hex')}`;
  connections = 0;
  private readonly server = net.createServer((socket) => {
    this.connections++;
    socket.end('host abstract socket reached\n');
  });

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ path: `\0${this.name}` }, () => resolve());
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function hostCorePattern(): string {
  return readOrUndefined('/proc/sys/kernel/core_pattern') ?? '';
}

/** SysV IPC keys of the host's namespace (this process's), from /proc/sysvipc. */
export function hostIpcKeys(kind: 'shm' | 'msg'): Set<number> {
  const keys = new Set<number>();
  for (const line of (readOrUndefined(`/proc/sysvipc/${kind}`) ?? '').split('\n').slice(1)) {
    const key = line.trim().split(/\s+/)[0];
    if (key) keys.add(Number(key));
  }
  return keys;
}
