// `taskd serve` as a real process on a data directory of the check's choosing: spawned with the
// environment the check gives, waited for until it says "serving <url>" (and, if asked, timed to
// its first /readyz 200), stopped with SIGTERM as an operator would or killed with SIGKILL as a
// crash would. Every process started here is remembered and killed if the check itself dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Harness } from '../../test/support/harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'src/cli/main.ts');
const BUNDLE = path.join(ROOT, 'dist/taskd.mjs');
/**
 * `npm run reliability` starts taskd as `npm start` does, from the bundle (run.ts builds it
 * first), so restart times are those users see; tests start src/ through tsx, the code as it is.
 */
let fromBundle = false;
export function startFromBundle(): void {
  fromBundle = true;
}
/** Start-up is bounded: a taskd that does not serve within this is a failure, not a hung check. */
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

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exactly `env`, plus PATH and HOME: nothing of this process's environment leaks into taskd's. */
export function bareEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env };
}

/** This process's environment without its TASKD_ settings (a developer's would change the check), then `env`. */
export function envWithoutTaskd(env: Record<string, string>): Record<string, string> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TASKD_'))) as Record<string, string>;
  return { ...clean, ...env };
}

/** envWithoutTaskd, on the harness's store: its PostgreSQL schema, if it has one (SQLite: the data directory's file). */
export function storeEnv(h: Harness, env: Record<string, string>): Record<string, string> {
  const databaseUrl = h.databaseUrlForProcess;
  // Every node on the store needs its secret key file (which opens the token signing keys), whatever its data directory.
  const secretKeyFile: Record<string, string> = h.config.secretKeyFile ? { TASKD_SECRET_KEY_FILE: h.config.secretKeyFile } : {};
  return envWithoutTaskd({ ...(databaseUrl ? { TASKD_DATABASE_URL: databaseUrl } : {}), ...secretKeyFile, ...env });
}

export interface StartOptions {
  /** The whole environment of the process (see bareEnv, envWithoutTaskd). */
  env: Record<string, string>;
  /**
   * Its output goes to this file rather than to a pipe this process reads. taskd logs every
   * request synchronously to stdout; through a pipe, a moment's lag of a very busy check in
   * draining it would stall taskd itself, and the check would time its own lag instead of taskd's.
   */
  logFile?: string;
  /** How much of its output (from a pipe) is kept, the last characters. */
  keepChars?: number;
  /** Also wait until /readyz answers 200, and time it (readyMs, readyCpuMs). */
  waitReady?: boolean;
  /** Runs it as this host user (the caller being root) rather than as the caller. */
  user?: { uid: number; gid: number };
}

export class TaskdProcess {
  private output = '';
  private readonly exited: Promise<void>;
  url = '';
  /** Milliseconds from spawn to the first /readyz 200 (with waitReady). */
  readyMs = NaN;
  /**
   * CPU milliseconds the process had used by then: what start-up costs whatever else the host
   * is doing (the wall time above grows with the host's load).
   */
  readyCpuMs = NaN;

  private constructor(
    private readonly child: ChildProcess,
    private readonly logFile: string | undefined,
    keepChars: number,
  ) {
    started.add(child);
    child.stdout?.on('data', (d) => (this.output = (this.output + d).slice(-keepChars)));
    child.stderr?.on('data', (d) => (this.output = (this.output + d).slice(-keepChars)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => started.delete(child));
  }

  /** Spawns `taskd serve --port 0 --data-dir <dataDir>` and waits until it serves (and is ready, if asked). */
  static async start(dataDir: string, options: StartOptions): Promise<TaskdProcess> {
    const spawnedAt = performance.now();
    const out = options.logFile === undefined ? undefined : openSync(options.logFile, 'w');
    const entry = fromBundle ? ['--enable-source-maps', BUNDLE] : ['--import', 'tsx', MAIN];
    const child = spawn(process.execPath, [...entry, 'serve', '--port', '0', '--data-dir', dataDir], {
      cwd: ROOT,
      env: options.env,
      stdio: out === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', out, out],
      ...options.user,
    });
    if (out !== undefined) closeSync(out);
    const taskd = new TaskdProcess(child, options.logFile, options.keepChars ?? 100_000);
    const deadline = Date.now() + START_WITHIN_MS;
    try {
      let match: RegExpExecArray | null;
      while (!(match = /serving (\S+)/.exec(taskd.log))) {
        if (!taskd.alive) throw new Error(`taskd exited during start-up:\n${taskd.log.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`taskd did not serve within ${START_WITHIN_MS} ms:\n${taskd.log.slice(-3000)}`);
        await sleep(10);
      }
      taskd.url = match[1]!;
      if (options.waitReady) {
        while (!(await taskd.ready())) {
          if (!taskd.alive || Date.now() > deadline) throw new Error(`taskd never became ready:\n${taskd.log.slice(-3000)}`);
          await sleep(10);
        }
        taskd.readyMs = performance.now() - spawnedAt;
        taskd.readyCpuMs = cpuMsOf(taskd.pid);
      }
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

  get port(): number {
    return Number(new URL(this.url).port);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last of what it printed, for failure lines. */
  get log(): string {
    if (this.logFile === undefined) return this.output;
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Sends `signal` and waits until it has exited. SIGKILL, the default, is a crash: nothing gets to run. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.alive) this.child.kill(signal);
    await this.exited;
  }

  /** SIGTERM, as an operator stops it; SIGKILL if it has not exited within `withinMs`. Returns whether it exited by itself. */
  async stop(withinMs: number): Promise<boolean> {
    if (!this.alive) return true;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const clean = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), withinMs))),
    ]);
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
