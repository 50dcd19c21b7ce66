// A taskd server as a real process of its own, on a harness's data directory and store: for what
// only a real process shows — being killed with SIGKILL, and started again.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Harness } from './harness.js';

/**
 * How to run taskd's main module: compiled, without a loader, when this file runs compiled
 * itself (`npm test`, scripts/run-tests.mjs), else the source through tsx. Through tsx a taskd
 * process took 5-8 s to start on a loaded machine, most of it loading TypeScript through hooks.
 * The compiled CLI loads the server only for `serve`; TASKD_SERVER is for `serve`.
 */
const COMPILED_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const RUNS_COMPILED = existsSync(COMPILED_MAIN);
export const TASKD_MAIN = RUNS_COMPILED ? [COMPILED_MAIN] : ['--import', 'tsx', path.resolve('src/cli/main.ts')];

/**
 * How to run `taskd serve`: when compiled, taskd bundled from the same code (dist/taskd.mjs of the
 * compiled copy, built by scripts/run-tests.mjs as `npm start` runs it), one file that loads in
 * less CPU than the compiled files. reliability/support/taskd-process.ts finds the same bundle
 * (startFromBundle, which the tests using it call when RUNS_COMPILED).
 */
export const TASKD_SERVER = RUNS_COMPILED
  ? ['--enable-source-maps', fileURLToPath(new URL('../../dist/taskd.mjs', import.meta.url))]
  : TASKD_MAIN;

export class TaskdProcess {
  private output = '';
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts `taskd serve` on the harness's store (and data directory, unless given one), and waits until it serves. */
  static async start(h: Harness, env: Record<string, string> = {}, dataDir = h.config.dataDir): Promise<TaskdProcess> {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TASKD_')));
    const databaseUrl = h.databaseUrlForProcess;
    const child = spawn(process.execPath, [...TASKD_SERVER, 'serve', '--port', '0', '--data-dir', dataDir], {
      // The harness's secret key file: a node with a data directory of its own shares the store's signing keys.
      env: {
        ...clean,
        ...(databaseUrl ? { TASKD_DATABASE_URL: databaseUrl } : {}),
        TASKD_SECRET_KEY_FILE: h.config.secretKeyFile!,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const taskd = new TaskdProcess(child);
    const deadline = Date.now() + 60_000;
    while (!/serving (\S+)/.test(taskd.output)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`taskd did not start:\n${taskd.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return taskd;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Everything it printed, for failure messages. */
  get log(): string {
    return this.output;
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}
