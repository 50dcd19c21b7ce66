// `taskd serve` as a real process for the slow-clients check, its output going to a file rather
// than to a pipe this process reads. taskd logs every request synchronously to stdout; through a
// pipe, a moment's lag of this (very busy) process in draining it would stall taskd itself, and
// the check would time its own lag instead of taskd's.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Harness } from '../../test/support/harness.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.ts');

export class TaskdServer {
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess, readonly url: string) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts taskd on the harness's store and data directory, and waits until it serves. */
  static async start(h: Harness, env: Record<string, string>): Promise<TaskdServer> {
    const logFile = path.join(h.config.dataDir, `taskd-${Date.now()}.log`);
    const out = openSync(logFile, 'w');
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TASKD_')));
    const databaseUrl = h.databaseUrlForProcess;
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', '0', '--data-dir', h.config.dataDir], {
      env: { ...clean, ...(databaseUrl ? { TASKD_DATABASE_URL: databaseUrl } : {}), ...env },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const match = /serving (\S+)/.exec(readFileSync(logFile, 'utf8'));
      if (match) return new TaskdServer(child, match[1]!);
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`taskd did not start:\n${readFileSync(logFile, 'utf8').slice(-5000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(killer);
  }
}
