// The official cf CLI (v7.3.0, unmodified) against a real taskd listening on a real port, on each
// store: Cloud Foundry users' own client, run as they run it. Every command runs in a CF_HOME of
// its own (a copy of the suite's logged-in one, unless the test makes its own), so no test sees
// another's target or tokens.
//
// The binary: TASKD_CF_CLI, else ../shared/tools/cf-cli-7.3.0/cf beside the clone (where this
// workplace keeps it), else `cf` on the PATH; without one the suites skip, saying so.
import { after, before, describe } from 'node:test';
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Harness, PG_URL, type StoreKind } from '../support/harness.js';
import type { Config } from '../../src/config.js';

function findCfCli(): string | undefined {
  const candidates = [process.env.TASKD_CF_CLI, path.resolve('../shared/tools/cf-cli-7.3.0/cf')];
  const found = candidates.find((c) => c && existsSync(c));
  if (found) return found;
  return spawnSync('cf', ['version']).status === 0 ? 'cf' : undefined;
}

export const CF_CLI = findCfCli();

export interface CfResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout's non-empty lines, trimmed at the end, as a user reads them. */
  lines: string[];
}

export class CfSuite {
  readonly server: Harness;
  url!: string;
  /** A CF_HOME after `cf api` and `cf auth` as the suite's user, targeting its org and space. */
  private loggedInHome!: string;
  private readonly homes: string[] = [];
  user!: { guid: string; username: string; password: string };
  org!: { guid: string; name: string };
  space!: { guid: string; name: string };

  /** `overrides`: settings of the suite's taskd beyond the harness's (OAuth clients, say). */
  constructor(kind: StoreKind, overrides: Partial<Config> = {}) {
    // No external URL: the links name the port the server really listens on.
    this.server = new Harness(kind, { externalUrl: undefined, runnerSlots: 4, ...overrides });
  }

  /** Registers the suite's set-up (a space developer logged in with the real CLI) and teardown. */
  hooks(): this {
    before(async () => {
      await this.server.start();
      this.url = await this.server.listen();
      this.org = await this.server.org();
      this.space = await this.server.space(this.org.guid);
      this.user = await this.server.fixtureUser();
      await this.server.role('space_developer', this.user.guid, { space: this.space.guid });
      this.loggedInHome = this.newHome();
      await this.ok(this.loggedInHome, ['api', this.url]);
      await this.ok(this.loggedInHome, ['auth', this.user.username, this.user.password]);
      await this.ok(this.loggedInHome, ['target', '-o', this.org.name, '-s', this.space.name]);
    });
    after(async () => {
      await this.server.stop();
      for (const home of this.homes) rmSync(home, { recursive: true, force: true });
    });
    return this;
  }

  /** An empty CF_HOME, removed at the end. */
  newHome(): string {
    const home = mkdtempSync(path.join(tmpdir(), 'taskd-cf-home-'));
    this.homes.push(home);
    return home;
  }

  /** A CF_HOME of the test's own, logged in as the suite's user and targeting its space. */
  home(): string {
    const home = this.newHome();
    cpSync(this.loggedInHome, home, { recursive: true });
    return home;
  }

  /**
   * Runs `cf ARGS` in `home`. Asynchronously: the server answering it lives in this process. The
   * CLI's own checks for updates and its colours are off, as in a script.
   */
  cf(home: string, args: string[], env: Record<string, string> = {}): Promise<CfResult> {
    const child = this.start(home, args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`cf ${args.join(' ')} did not end within 60 s\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, 60_000);
      child.once('close', (status) => {
        clearTimeout(timer);
        const lines = stdout
          .split('\n')
          .map((l) => l.trimEnd())
          .filter((l) => l !== '');
        resolve({ status, stdout, stderr, lines });
      });
    });
  }

  /** Starts `cf ARGS` in `home` and leaves it running (for commands that do not end, such as `cf logs`); the caller ends it. */
  start(home: string, args: string[], env: Record<string, string> = {}): ChildProcessByStdio<null, Readable, Readable> {
    return spawn(CF_CLI!, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, CF_HOME: home, CF_COLOR: 'false', LANG: 'en_US.UTF-8', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Runs `cf ARGS` and insists on exit status 0. */
  async ok(home: string, args: string[], env: Record<string, string> = {}): Promise<CfResult> {
    const res = await this.cf(home, args, env);
    if (res.status !== 0) throw new Error(`cf ${args.join(' ')} exited ${res.status}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`);
    return res;
  }
}

/** A suite per store, each with its own taskd and CLI user; skipped with the reason when there is no cf CLI or no PostgreSQL. */
export function describeCfEachStore(name: string, fn: (s: CfSuite) => void, overrides: Partial<Config> = {}): void {
  for (const kind of ['sqlite', 'postgres'] as const) {
    const skip = !CF_CLI
      ? 'no cf CLI: set TASKD_CF_CLI, or put cf on the PATH'
      : kind === 'postgres' && !PG_URL
        ? 'TASKD_TEST_PG_URL is not set: no PostgreSQL to test against'
        : false;
    describe(`${name} [${kind}]`, { skip }, () => fn(new CfSuite(kind, overrides).hooks()));
  }
}
