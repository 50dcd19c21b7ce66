// `taskd serve` as a real process on a data directory, for the crash checks: started, timed from
// spawn to its first /readyz 200, killed with SIGKILL, or stopped with SIGTERM as an operator
// would. Every process started here is remembered and killed if the check itself dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'src/cli/main.ts');
/** Start-up is bounded: a taskd that does not serve within this is a failed trial, not a hung check. */
const START_WITHIN_MS = 60_000;

const started = new Set<ChildProcess>();
const killStarted = () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};
process.once('exit', killStarted);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killStarted();
    process.exit(130);
  });
}

export class TaskdUnderTest {
  private output = '';
  private readonly exited: Promise<void>;
  url = '';
  /** Milliseconds from spawn to the first /readyz 200. */
  readyMs = NaN;
  /**
   * CPU milliseconds the process had used by then: what start-up costs whatever else the host
   * is doing (the wall time above grows with the host's load).
   */
  readyCpuMs = NaN;

  private constructor(private readonly child: ChildProcess) {
    started.add(child);
    child.stdout!.on('data', (d) => (this.output = (this.output + d).slice(-100_000)));
    child.stderr!.on('data', (d) => (this.output = (this.output + d).slice(-100_000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => started.delete(child));
  }

  /** Spawns `taskd serve` on `dataDir` with exactly `env` (plus PATH and HOME) and waits until /readyz says ready. */
  static async start(dataDir: string, env: Record<string, string>): Promise<TaskdUnderTest> {
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', '0', '--data-dir', dataDir], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const taskd = new TaskdUnderTest(child);
    const deadline = Date.now() + START_WITHIN_MS;
    try {
      let match: RegExpExecArray | null;
      while (!(match = /serving (\S+)/.exec(taskd.output))) {
        if (!taskd.alive) throw new Error(`taskd exited during start-up:\n${taskd.output.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`taskd did not serve within ${START_WITHIN_MS} ms:\n${taskd.output.slice(-3000)}`);
        await sleep(10);
      }
      taskd.url = match[1]!;
      while (!(await taskd.ready())) {
        if (!taskd.alive || Date.now() > deadline) throw new Error(`taskd never became ready:\n${taskd.output.slice(-3000)}`);
        await sleep(10);
      }
      taskd.readyMs = performance.now() - spawnedAt;
      taskd.readyCpuMs = cpuMsOf(taskd.pid);
      return taskd;
    } catch (err) {
      await taskd.kill();
      throw err;
    }
  }

  private async ready(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last of what it printed. */
  get log(): string {
    return this.output;
  }

  /** SIGKILL: a crash, nothing gets to run. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, as an operator stops it; SIGKILL if it has not exited within `withinMs`. Returns whether it exited by itself. */
  async stop(withinMs: number): Promise<boolean> {
    if (!this.alive) return true;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const clean = await Promise.race([this.exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), withinMs)))]);
    clearTimeout(timer);
    if (!clean) await this.kill();
    return clean;
  }
}

/** utime + stime of a process, in ms (/proc/<pid>/stat counts clock ticks, 100 a second on Linux). */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
