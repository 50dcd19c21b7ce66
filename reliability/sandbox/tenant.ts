// The campaign's world: a real `taskd serve` started as root (bubblewrap insisted on, SQLite in
// a data directory on a tmpfs of its own, so that the host-side disk figures are taskd's alone),
// an admin who only sets up organisations, users and roles, and the attacker — an ordinary space
// developer who makes their own apps, uploads the droplet, sets app variables and annotations,
// and creates every attack as a task through the CF API (POST /v3/apps/:guid/tasks). A victim
// organisation next door has its own app and a running task, for the attacks that reach for it.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { multipart, tgzOf } from '../../test/droplets/tarballs.js';
import { supervisorPidOf } from '../../test/support/supervisor-pid.js';
import { adminToken, basic, bearer, described, send, type Answer } from '../support/http.js';
import { envWithoutTaskd, sleep, TaskdProcess } from '../support/taskd-process.js';
import { cgroupDirsNamed, describePids, processesByTaskGuid, taskProcesses } from './host.js';

/** The host uid and gid tasks must run as (TASKD_TASK_UID/GID), and the name they have inside. */
export const TASK_UID = 2000;
export const TASK_USER = 'vcap';
/** Short grace on cancel and timeout, so the SIGTERM-ignoring attacks end within the campaign. */
export const GRACE_SECONDS = 2;
/** The process limit the fork bomb meets (TASKD_TASK_MAX_PROCESSES). */
export const MAX_PROCESSES = 128;
const DATA_FS_MB = 3072;
const DEFAULT_DISK_MB = 64;

export interface TaskRun {
  guid: string;
  /** CF state (SUCCEEDED, FAILED), or the last seen while polling when it never ended. */
  state: string;
  failureReason: string | null;
  /** Every output line (stdout and stderr), in order, joined with newlines. */
  output: string;
  /** From create to final, ms. */
  ms: number;
  /** Whether it reached a final state within the wait. */
  ended: boolean;
}

/** The apps the attacker made, each with the campaign's droplet as its current droplet. */
export interface TenantApps {
  /** Most attacks, and the `echo ok` probe; one harmless variable (TENANT_MARK) to trace. */
  plain: string;
  /** LD_PRELOAD of the droplet's library. */
  preload: string;
  /** LD_AUDIT, GCONV_PATH, BASH_ENV, ENV, LD_LIBRARY_PATH, GLIBC_TUNABLES, PATH. */
  loaders: string;
  /** Variables whose values look like bwrap options, with newlines, and a big one. */
  injection: string;
  /** Annotated `taskd.io/task-network: off`. */
  offline: string;
}

/** Variables of the attacker's apps, given the host directory where marks are left. */
export interface AppVariables {
  plain: Record<string, string>;
  preload: Record<string, string>;
  loaders: Record<string, string>;
  /** Set afterwards with PATCH /v3/apps/:guid/environment_variables, which may refuse them. */
  injection: Record<string, string>;
}

export interface WorldOptions {
  /** The droplet's files (path in /home/vcap/app → content, mode). */
  droplet: { name: string; content: Buffer | string; mode?: number }[];
  variables(marksDir: string): AppVariables;
}

export class SandboxWorld {
  /** A value in taskd's own environment that no task may ever read. */
  readonly canary = `canary-${randomBytes(12).toString('hex')}`;
  readonly adminPassword = `admin-${randomBytes(12).toString('hex')}`;
  /** A directory on the host (not in the data directory), world-writable: where a library loaded host-side leaves its mark. */
  readonly marksDir: string;
  readonly dataDir: string;
  private taskd?: TaskdProcess;
  private mounted = false;
  private adminToken = '';
  developerToken = '';
  victimToken = '';
  apps!: TenantApps;
  victim!: { org: string; app: string; task: string };
  /** Tasks this world created, cancelled at the end if still running. */
  private readonly created = new Set<string>();

  private constructor(readonly root: string) {
    this.dataDir = path.join(root, 'data');
    this.marksDir = path.join(root, 'marks');
  }

  /** Mounts the data filesystem and starts taskd; the caller must stop() it whatever happens. */
  static async start(options: WorldOptions): Promise<SandboxWorld> {
    const root = mkdtempSync(path.join(tmpdir(), 'taskd-sandbox-'));
    // Traversable by the task uid: a taskd that runs bwrap as that uid must reach its folders.
    chmodSync(root, 0o755);
    const world = new SandboxWorld(root);
    try {
      mkdirSync(world.dataDir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DATA_FS_MB}m,mode=700`, 'taskd-sandbox-data', world.dataDir], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      world.mounted = true;
      mkdirSync(world.marksDir);
      chmodSync(world.marksDir, 0o1777);
      await world.boot(options);
      return world;
    } catch (err) {
      await world.stop();
      throw err;
    }
  }

  private async boot(options: WorldOptions): Promise<void> {
    this.taskd = await TaskdProcess.start(this.dataDir, {
      env: envWithoutTaskd({
        TASKD_ADMIN_PASSWORD: this.adminPassword,
        TASKD_SANDBOX: 'bwrap',
        TASKD_TASK_UID: String(TASK_UID),
        TASKD_TASK_GID: String(TASK_UID),
        TASKD_RUNNER_SLOTS: '6',
        TASKD_CANCEL_GRACE_SECONDS: String(GRACE_SECONDS),
        TASKD_TASK_MAX_PROCESSES: String(MAX_PROCESSES),
        TASKD_TASK_CREATE_RATE_LIMIT: '0',
        // Each task gets a preallocated filesystem of its disk_in_mb: small by default, so that six
        // at once fit the campaign's data filesystem (which is memory).
        TASKD_DEFAULT_DISK_IN_MB: String(DEFAULT_DISK_MB),
        TASKD_MAXIMUM_DISK_IN_MB: '256',
        SANDBOX_CAMPAIGN_CANARY: this.canary,
      }),
      logFile: path.join(this.root, 'taskd.log'),
    });
    this.adminToken = await adminToken(this.taskd.url, this.adminPassword);
    const tenant = await this.orgWithDeveloper('tenant');
    this.developerToken = tenant.token;
    const victim = await this.orgWithDeveloper('victim');
    this.victimToken = victim.token;
    const bits = await dropletBits(options.droplet);
    const variables = options.variables(this.marksDir);
    const app = (name: string, extra: Record<string, unknown> = {}) => this.appWithDroplet(tenant.token, tenant.space, name, bits, extra);
    this.apps = {
      plain: await app('plain', { environment_variables: variables.plain }),
      preload: await app('preload', { environment_variables: variables.preload }),
      loaders: await app('loaders', { environment_variables: variables.loaders }),
      injection: await app('injection'),
      offline: await app('offline', { metadata: { annotations: { 'taskd.io/task-network': 'off' } } }),
    };
    // Set with PATCH, as `cf set-env` does; a value refused (422) is recorded for the attack to judge.
    this.injectionAnswer = await this.call('PATCH', `/v3/apps/${this.apps.injection}/environment_variables`, tenant.token, {
      var: variables.injection,
    });
    const victimApp = await this.appWithDroplet(victim.token, victim.space, 'victim', bits);
    const victimTask = await this.call('POST', `/v3/apps/${victimApp}/tasks`, victim.token, { command: 'sleep 600' });
    if (victimTask.status !== 202) throw new Error(`victim task: ${described(victimTask)}`);
    this.created.add(victimTask.body.guid);
    this.victim = { org: victim.org, app: victimApp, task: victimTask.body.guid };
    // Its sleep running before the first attack: its start (a filesystem of its own, say) must
    // not be counted in an attack's host figures.
    const deadline = Date.now() + 30_000;
    while (!taskProcesses(victimTask.body.guid).some((p) => p.comm === 'sleep')) {
      if (Date.now() > deadline)
        throw new Error(
          `the victim task did not start: ${described(await this.call('GET', `/v3/tasks/${victimTask.body.guid}`, victim.token))}`,
        );
      await sleep(100);
    }
  }

  injectionAnswer?: Answer;

  get url(): string {
    return this.taskd!.url;
  }

  get port(): number {
    return this.taskd!.port;
  }

  get taskdPid(): number {
    return this.taskd!.pid;
  }

  get taskdAlive(): boolean {
    return this.taskd?.alive ?? false;
  }

  supervisorPid(): number | undefined {
    return supervisorPidOf(this.dataDir);
  }

  /** The last of taskd's log, for failure lines. */
  taskdLog(chars = 2000): string {
    return (this.taskd?.log ?? '').slice(-chars);
  }

  /**
   * Used bytes and inodes of the data directory's filesystem. The bytes leave out taskd's SQLite
   * files, whose write-ahead log grows and shrinks by megabytes with checkpoints whatever tasks do.
   */
  dataUse(): { bytes: number; inodes: number } {
    const s = statfsSync(this.dataDir);
    let database = 0;
    for (const name of ['taskd.db', 'taskd.db-wal', 'taskd.db-shm']) {
      try {
        database += statSync(path.join(this.dataDir, name)).blocks * 512;
      } catch {
        // Not there (yet).
      }
    }
    return { bytes: (s.blocks - s.bfree) * s.bsize - database, inodes: s.files - s.ffree };
  }

  async call(method: string, url: string, token: string | undefined, json?: unknown, timeoutMs = 30_000): Promise<Answer> {
    return send({ method, url: `${this.url}${url}`, authorization: token === undefined ? undefined : bearer(token), json, timeoutMs });
  }

  private admin(method: string, url: string, json?: unknown): Promise<Answer> {
    return this.call(method, url, this.adminToken, json);
  }

  private async expect(answer: Promise<Answer>, status: number, what: string): Promise<any> {
    const res = await answer;
    if (res.status !== status) throw new Error(`${what}: ${described(res)}`);
    return res.body;
  }

  /** An org with a space and a user who is a space developer there (and nothing more), logged in. */
  private async orgWithDeveloper(name: string): Promise<{ org: string; space: string; token: string }> {
    const suffix = randomBytes(3).toString('hex');
    const org = await this.expect(this.admin('POST', '/v3/organizations', { name: `${name}-${suffix}` }), 201, 'create org');
    const space = await this.expect(
      this.admin('POST', '/v3/spaces', { name: `${name}-space`, relationships: { organization: { data: { guid: org.guid } } } }),
      201,
      'create space',
    );
    const username = `${name}-dev-${suffix}`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const user = await this.expect(this.admin('POST', '/v3/users', { username, password }), 201, 'create user');
    const rel = (extra: Record<string, unknown>) => ({ user: { data: { guid: user.guid } }, ...extra });
    await this.expect(
      this.admin('POST', '/v3/roles', { type: 'organization_user', relationships: rel({ organization: { data: { guid: org.guid } } }) }),
      201,
      'org role',
    );
    await this.expect(
      this.admin('POST', '/v3/roles', { type: 'space_developer', relationships: rel({ space: { data: { guid: space.guid } } }) }),
      201,
      'space role',
    );
    const login = await send({
      method: 'POST',
      url: `${this.url}/oauth/token`,
      authorization: basic('cf', ''),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      raw: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
      timeoutMs: 30_000,
    });
    if (login.status !== 200) throw new Error(`login ${username}: ${described(login)}`);
    return { org: org.guid, space: space.guid, token: login.body.access_token };
  }

  /** An app of the space (made by `token`'s user) with the droplet uploaded, staged and current. */
  private async appWithDroplet(
    token: string,
    space: string,
    name: string,
    bits: Buffer,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const app = await this.expect(
      this.call('POST', '/v3/apps', token, { name, relationships: { space: { data: { guid: space } } }, ...extra }),
      201,
      `create app ${name}`,
    );
    const droplet = await this.expect(
      this.call('POST', '/v3/droplets', token, { relationships: { app: { data: { guid: app.guid } } } }),
      201,
      'create droplet',
    );
    const { payload, contentType } = multipart([{ field: 'bits', filename: 'droplet.tgz', content: bits }]);
    const upload = await send({
      method: 'POST',
      url: `${this.url}/v3/droplets/${droplet.guid}/upload`,
      authorization: bearer(token),
      headers: { 'content-type': contentType },
      raw: new Uint8Array(payload),
      timeoutMs: 30_000,
    });
    if (upload.status !== 202) throw new Error(`upload: ${described(upload)}`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await this.call('GET', `/v3/droplets/${droplet.guid}`, token);
      if (res.status === 200 && res.body.state === 'STAGED') break;
      if (res.status === 200 && res.body.state === 'FAILED') throw new Error(`droplet failed: ${res.text}`);
      if (Date.now() > deadline) throw new Error(`droplet not staged: ${described(res)}`);
      await sleep(50);
    }
    await this.expect(
      this.call('PATCH', `/v3/apps/${app.guid}/relationships/current_droplet`, token, { data: { guid: droplet.guid } }),
      200,
      'current droplet',
    );
    return app.guid;
  }

  /** Creates a task as the developer; the answer as it came. */
  async createTask(app: string, command: string, extra: Record<string, unknown> = {}): Promise<Answer> {
    const res = await this.call('POST', `/v3/apps/${app}/tasks`, this.developerToken, { command, ...extra });
    if (res.status === 202) this.created.add(res.body.guid);
    return res;
  }

  /** The task as the developer sees it (undefined when not readable). */
  async task(guid: string): Promise<any | undefined> {
    const res = await this.call('GET', `/v3/tasks/${guid}`, this.developerToken);
    return res.status === 200 ? res.body : undefined;
  }

  /** Polls until the task is SUCCEEDED or FAILED, or `timeoutMs` has passed; the last task seen. */
  async waitFinal(guid: string, timeoutMs: number): Promise<{ task: any; ended: boolean }> {
    const deadline = Date.now() + timeoutMs;
    let task: any;
    for (;;) {
      task = (await this.task(guid)) ?? task;
      if (task && (task.state === 'SUCCEEDED' || task.state === 'FAILED')) return { task, ended: true };
      if (Date.now() > deadline) return { task, ended: false };
      await sleep(100);
    }
  }

  /** Polls until taskd_state is `state` (or the task ended, or the time is up); whether it got there. */
  async waitTaskdState(guid: string, state: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const task = await this.task(guid);
      if (task?.taskd_state === state) return true;
      if (!task || task.state === 'SUCCEEDED' || task.state === 'FAILED' || Date.now() > deadline) return false;
      await sleep(100);
    }
  }

  /** The task's stored output, stdout and stderr interleaved as stored. */
  async output(guid: string): Promise<string> {
    const res = await this.call('GET', `/v3/tasks/${guid}/log`, this.developerToken);
    if (res.status !== 200) return `(log unreadable: ${described(res)})`;
    return res.text
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { text: string }).text)
      .join('\n');
  }

  /** Creates a task and waits for its end; a create that is refused throws. */
  async run(app: string, command: string, extra: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<TaskRun> {
    const started = performance.now();
    const res = await this.createTask(app, command, extra);
    if (res.status !== 202) throw new Error(`create task: ${described(res)}`);
    return this.finish(res.body.guid, started, timeoutMs);
  }

  /** Waits for a created task's end and reads its output. */
  async finish(guid: string, started: number, timeoutMs: number): Promise<TaskRun> {
    const { task, ended } = await this.waitFinal(guid, timeoutMs);
    if (!ended) await this.cancel(guid);
    return {
      guid,
      state: task?.state ?? 'UNREADABLE',
      failureReason: task?.result?.failure_reason ?? null,
      output: await this.output(guid),
      ms: performance.now() - started,
      ended,
    };
  }

  async cancel(guid: string): Promise<Answer> {
    return this.call('POST', `/v3/tasks/${guid}/actions/cancel`, this.developerToken);
  }

  /**
   * taskd still serves: /healthz 200 and a trivial `echo ok` task of the attacker succeeds with
   * that output. Answers undefined when it does, else what was seen.
   */
  async stillServing(): Promise<string | undefined> {
    if (!this.taskdAlive) return `taskd exited: ${this.taskdLog(500)}`;
    const health = await send({ method: 'GET', url: `${this.url}/healthz`, timeoutMs: 10_000 });
    if (health.status !== 200) return `/healthz: ${described(health)}`;
    let run: TaskRun;
    try {
      run = await this.run(this.apps.plain, 'echo ok', {}, 45_000);
    } catch (err) {
      return `echo ok: ${(err as Error).message}`;
    }
    if (run.state !== 'SUCCEEDED' || run.output.trim() !== 'ok')
      return `echo ok ended ${run.state} (${run.failureReason ?? ''}) with output ${JSON.stringify(run.output.slice(0, 200))}`;
    return undefined;
  }

  /**
   * Cancels what is left, stops taskd (and its supervisor), and removes everything. Answers what
   * taskd left behind once stopped — processes of its tasks, their cgroups, mounts and loop
   * devices — which is removed here too.
   */
  async stop(): Promise<string[]> {
    const leftovers: string[] = [];
    if (this.taskd?.alive) {
      await Promise.all(
        [...this.created].map(async (guid) => {
          const task = await this.call('GET', `/v3/tasks/${guid}`, this.adminToken, undefined, 5000);
          if (task.status === 200 && task.body.state !== 'SUCCEEDED' && task.body.state !== 'FAILED')
            await this.call('POST', `/v3/tasks/${guid}/actions/cancel`, this.adminToken, undefined, 5000);
        }),
      );
      await this.waitSettled(15_000);
      const supervisor = this.supervisorPid();
      await this.taskd.stop(15_000);
      if (supervisor !== undefined) {
        const deadline = Date.now() + 15_000;
        while (alive(supervisor) && Date.now() < deadline) await sleep(100);
        if (alive(supervisor)) process.kill(supervisor, 'SIGKILL');
      }
    }
    for (const [guid, ps] of processesByTaskGuid()) {
      if (!this.created.has(guid)) continue;
      leftovers.push(`processes of task ${guid} still running: ${describePids(ps)}`);
      for (const p of ps) tryKill(p.pid);
    }
    const cgroups = cgroupDirsNamed(new Set([...this.created].map((guid) => `taskd-${guid}`)));
    for (const dir of cgroups) leftovers.push(`cgroup left: ${dir}`);
    await removeCgroups(cgroups);
    if (this.mounted) {
      // What taskd mounted under the data directory (per-task filesystems), deepest first.
      for (const mount of mountsUnder(this.dataDir).reverse()) {
        leftovers.push(`left mounted: ${mount}`);
        tryRun('umount', ['-l', mount]);
      }
      for (const device of loopDevicesOf(this.dataDir)) {
        leftovers.push(`loop device left: ${device}`);
        tryRun('losetup', ['-d', device]);
      }
      tryRun('umount', ['-l', this.dataDir]);
      this.mounted = false;
    }
    rmSync(this.root, { recursive: true, force: true });
    return leftovers;
  }

  /** Waits (a while) until none of this world's tasks is still RUNNING or CANCELING. */
  private async waitSettled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const guid of this.created) {
      while (Date.now() < deadline) {
        const task = await this.call('GET', `/v3/tasks/${guid}`, this.adminToken, undefined, 5000);
        if (task.status !== 200 || task.body.state === 'SUCCEEDED' || task.body.state === 'FAILED') break;
        await sleep(100);
      }
    }
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone meanwhile.
  }
}

/** Kills what is in the cgroups and removes them (a v1 cgroup goes once empty). */
async function removeCgroups(dirs: string[]): Promise<void> {
  for (const dir of dirs.sort((a, b) => b.length - a.length)) {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        for (const pid of readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) tryKill(Number(pid));
        try {
          writeFileSync(`${dir}/freezer.state`, 'THAWED');
        } catch {
          // Not a freezer group.
        }
        rmdirSync(dir);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        await sleep(100);
      }
    }
  }
}

/** Loop devices whose backing file is under `dir`. */
function loopDevicesOf(dir: string): string[] {
  try {
    return execFileSync('losetup', ['-a', '-n', '-O', 'NAME,BACK-FILE', '-l'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([, file]) => file?.startsWith(`${dir}/`))
      .map(([device]) => device!);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tryRun(file: string, args: string[]): void {
  try {
    execFileSync(file, args, { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
}

/** Mount points strictly under `dir` in this mount namespace, in mount order. */
export function mountsUnder(dir: string): string[] {
  try {
    return execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.replace(/\\x20/g, ' '))
      .filter((target) => target.startsWith(`${dir}/`));
  } catch {
    return [];
  }
}

function dropletBits(files: WorldOptions['droplet']): Promise<Buffer> {
  // Entries at the top of the archive land at /home/vcap/app.
  return tgzOf(files.map((f) => ({ name: f.name, content: f.content, mode: f.mode ?? 0o644 })));
}
