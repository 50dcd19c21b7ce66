// The `taskd` command as a user runs it: `node bin/taskd.js ...` as a child process, with HOME
// and XDG_CONFIG_HOME in a temporary directory, against a real taskd listening on a real port.
// Always SQLite: the CLI talks HTTP, so the store behind the server changes nothing it does.
import { after, before } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Harness } from '../support/harness.js';
import { RUNS_COMPILED, TASKD_MAIN } from '../support/taskd-process.js';
import { configFile, SessionStore } from '../../src/cli/client/config-store.js';

/** `taskd` as users run it from a clone (bin/taskd.js: the source through tsx), or compiled when the tests run compiled (see TASKD_MAIN). */
const TASKD = RUNS_COMPILED ? TASKD_MAIN : [path.resolve('bin/taskd.js')];

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  /** On a terminal (script(1) gives it one): stdout and stderr then arrive together as stdout. */
  terminal?: boolean;
}

export class CliHarness {
  /** No external URL: links and TASKD_API name the port the server really listens on. */
  readonly server = new Harness('sqlite', { externalUrl: undefined, runnerSlots: 8, cancelGraceSeconds: 1 });
  home!: string;
  url!: string;

  /** Registers the suite's set-up and teardown. */
  hooks(): this {
    before(async () => {
      await this.server.start();
      this.url = await this.server.listen();
      this.home = mkdtempSync(path.join(tmpdir(), 'taskd-cli-home-'));
    });
    after(async () => {
      await this.server.stop();
      if (this.home) rmSync(this.home, { recursive: true, force: true });
    });
    return this;
  }

  get configDir(): string {
    return path.join(this.home, 'xdg');
  }

  /**
   * A session of the user in the CLI's config file, as `taskd login` leaves it (API, user name,
   * tokens, no target), from a login made without the password check: for tests where a login
   * is only the set-up, since each `taskd login` costs a full scrypt hash on the server (~0.5 s of
   * CPU, seconds on a loaded machine). `taskd login` itself is tested in session.test.ts.
   */
  async sessionAs(username: string): Promise<void> {
    const pair = await this.server.loginPair(username);
    new SessionStore(configFile({ XDG_CONFIG_HOME: this.configDir })).save({
      api: this.url,
      username,
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
    });
  }

  /**
   * Runs `taskd ARGS`. Asynchronously: the server answering it lives in this very process, so a
   * synchronous spawn would wait forever for a server that cannot run.
   */
  run(args: string[], options: CliOptions = {}): Promise<CliResult> {
    return this.start(args, options).result;
  }

  /** Starts `taskd ARGS`: the process (to signal it), what it has written so far, and how it ends. */
  start(args: string[], options: CliOptions = {}): { child: ChildProcess; output: () => CliResult; result: Promise<CliResult> } {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TASKD_')));
    const env: Record<string, string | undefined> = { ...base, HOME: this.home, XDG_CONFIG_HOME: this.configDir, ...options.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const argv = [process.execPath, ...TASKD, ...args];
    const [file, fileArgs] = options.terminal
      ? ['script', ['-qec', argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' '), '/dev/null']]
      : [argv[0]!, argv.slice(1)];
    const child = spawn(file, fileArgs, { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(options.input ?? '');
    const output = () => ({ status: child.exitCode, stdout, stderr });
    const result = new Promise<CliResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`taskd ${args.join(' ')} did not end within 30 s\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, 30_000);
      child.once('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
    return { child, output, result };
  }

  /** Runs `taskd ARGS` and insists on success. */
  async ok(args: string[], options: CliOptions = {}): Promise<CliResult> {
    const res = await this.run(args, options);
    if (res.status !== 0) throw new Error(`taskd ${args.join(' ')} exited ${res.status}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`);
    return res;
  }
}

/** stderr without the warnings npm or Node may add, as the lines a user would read from taskd. */
export function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('npm warn') && !l.includes('ExperimentalWarning') && !l.includes('--trace-warnings'));
}
