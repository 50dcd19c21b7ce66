// A real `taskd serve` process on a data directory of the check's choosing (on a small
// filesystem, say), driven over HTTP on 127.0.0.1 the way a client drives it: log in, make an org,
// a space and an app with a staged droplet, create tasks and read them back.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FailureLog } from '../check.js';
import { goodBundle, multipart } from '../../test/droplets/tarballs.js';
import { adminToken, bearer, send, type Answer } from '../support/http.js';
import { envWithoutTaskd, sleep, TaskdProcess } from '../support/taskd-process.js';
import { supervisorPidOf } from '../../test/support/supervisor-pid.js';

const ADMIN_PASSWORD = 'reliability-admin-password';

export type HttpAnswer = Answer;

export class TaskdServer {
  token = '';

  private constructor(
    private readonly serving: TaskdProcess,
    readonly dataDir: string,
  ) {}

  /** Starts `taskd serve` on `dataDir` (SQLite there; as `user`, if given), waits until it serves, and logs in as admin. */
  static async start(dataDir: string, env: Record<string, string> = {}, user?: { uid: number; gid: number }): Promise<TaskdServer> {
    const serving = await TaskdProcess.start(dataDir, {
      env: envWithoutTaskd({ TASKD_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env }),
      keepChars: 200_000,
      user,
    });
    const server = new TaskdServer(serving, dataDir);
    server.token = await adminToken(server.url, ADMIN_PASSWORD);
    return server;
  }

  get url(): string {
    return this.serving.url;
  }

  get pid(): number {
    return this.serving.pid;
  }

  /** Whether the process still runs. */
  get alive(): boolean {
    return this.serving.alive;
  }

  /** The last of what it printed, for failure lines. */
  get log(): string {
    return this.serving.log;
  }

  async request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const req = {
      method,
      url: `${this.url}${url}`,
      authorization: bearer(this.token),
      headers,
      ...(body instanceof Buffer ? { raw: body } : { json: body }),
    };
    const res = await send(req);
    // A kept-alive connection the server closed just as it was reused: a GET is asked again, once.
    if (res.status === 0 && method === 'GET') return send(req);
    if (res.status === 0) throw new Error(`${method} ${url}: ${res.text}`);
    return res;
  }

  get = (url: string) => this.request('GET', url);
  post = (url: string, body: unknown) => this.request('POST', url, body);

  /** Uploads a small bundle as a new droplet of the app; answers the upload's HTTP answer and the droplet. */
  async uploadDroplet(appGuid: string): Promise<{ upload: HttpAnswer; dropletGuid: string }> {
    const droplet = await this.post('/v3/droplets', { relationships: { app: { data: { guid: appGuid } } } });
    if (droplet.status !== 201) throw new Error(`create droplet: ${droplet.status} ${droplet.text}`);
    return { upload: await this.uploadBits(droplet.body.guid), dropletGuid: droplet.body.guid };
  }

  /** Uploads a small bundle as the bits of a droplet awaiting them. */
  async uploadBits(dropletGuid: string): Promise<HttpAnswer> {
    const { payload, contentType } = multipart([{ field: 'bits', filename: 'droplet.tgz', content: await goodBundle() }]);
    return this.request('POST', `/v3/droplets/${dropletGuid}/upload`, payload, { 'content-type': contentType });
  }

  /** Waits for a droplet's upload to end; answers the droplet. */
  async settledDroplet(guid: string, timeoutMs = 30_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.get(`/v3/droplets/${guid}`);
      if (res.status === 200 && res.body.state !== 'PROCESSING_UPLOAD' && res.body.state !== 'AWAITING_UPLOAD') return res.body;
      if (Date.now() > deadline) throw new Error(`droplet ${guid} not settled: ${res.status} ${res.text}`);
      await sleep(50);
    }
  }

  /** An org, a space and an app with a staged current droplet; answers the app's guid. */
  async runnableApp(name: string, appExtra: Record<string, unknown> = {}): Promise<string> {
    const org = await this.post('/v3/organizations', { name: `${name}-org` });
    if (org.status !== 201) throw new Error(`create org: ${org.status} ${org.text}`);
    const space = await this.post('/v3/spaces', {
      name: `${name}-space`,
      relationships: { organization: { data: { guid: org.body.guid } } },
    });
    if (space.status !== 201) throw new Error(`create space: ${space.status} ${space.text}`);
    const app = await this.post('/v3/apps', {
      name: `${name}-app`,
      relationships: { space: { data: { guid: space.body.guid } } },
      ...appExtra,
    });
    if (app.status !== 201) throw new Error(`create app: ${app.status} ${app.text}`);
    const { upload, dropletGuid } = await this.uploadDroplet(app.body.guid);
    if (upload.status !== 202) throw new Error(`upload: ${upload.status} ${upload.text}`);
    const droplet = await this.settledDroplet(dropletGuid);
    if (droplet.state !== 'STAGED') throw new Error(`droplet not staged: ${JSON.stringify(droplet)}`);
    const current = await this.request('PATCH', `/v3/apps/${app.body.guid}/relationships/current_droplet`, { data: { guid: dropletGuid } });
    if (current.status !== 200) throw new Error(`set current droplet: ${current.status} ${current.text}`);
    return app.body.guid;
  }

  createTask(appGuid: string, command: string, extra: Record<string, unknown> = {}): Promise<HttpAnswer> {
    return this.post(`/v3/apps/${appGuid}/tasks`, { command, ...extra });
  }

  /** Polls a task until it is SUCCEEDED or FAILED; answers it (undefined after the timeout). */
  async finalTask(guid: string, timeoutMs: number): Promise<any | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.get(`/v3/tasks/${guid}`);
      if (res.status === 200 && (res.body.state === 'SUCCEEDED' || res.body.state === 'FAILED')) return res.body;
      if (Date.now() > deadline) return undefined;
      await sleep(100);
    }
  }

  /** The task's stored output lines (taskd's log endpoint), as text. */
  async logOf(guid: string): Promise<HttpAnswer> {
    return this.get(`/v3/tasks/${guid}/log`);
  }

  /** /metrics parsed: metric line (name with labels) → value. */
  async metrics(): Promise<Map<string, number>> {
    const res = await fetch(`${this.url}/metrics`, { headers: { authorization: bearer(this.token) } });
    const out = new Map<string, number>();
    for (const line of (await res.text()).split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const space = line.lastIndexOf(' ');
      out.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
    return out;
  }

  /** The pid of the task supervisor serving this data directory, if one runs. */
  supervisorPid(): number | undefined {
    return supervisorPidOf(this.dataDir);
  }

  /** Stops taskd (SIGTERM, SIGKILL after 15 s) and the supervisor it left, if it is still there. */
  async stop(): Promise<void> {
    const supervisor = this.supervisorPid();
    await this.serving.stop(15_000);
    // The supervisor exits by itself once idle; one that lingers (tasks killed mid-way) is ended here.
    if (supervisor !== undefined) {
      const deadline = Date.now() + 12_000;
      while (processAlive(supervisor) && Date.now() < deadline) await sleep(100);
      if (processAlive(supervisor)) process.kill(supervisor, 'SIGKILL');
    }
  }
}

/**
 * Runs `use` against a taskd on a fresh temporary data directory (named `prefix`…). An error that
 * stops it is one failure line, with the end of taskd's log; taskd and the directory are gone after.
 */
export async function onFreshTaskd(
  prefix: string,
  failures: FailureLog,
  use: (taskd: TaskdServer, dataDir: string) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  let taskd: TaskdServer | undefined;
  try {
    taskd = await TaskdServer.start(dataDir, env);
    await use(taskd, dataDir);
  } catch (err) {
    failures.add(`the check could not go on: ${(err as Error).stack}\n${taskd?.log.slice(-3000) ?? ''}`);
  } finally {
    await taskd?.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A process's resident memory in bytes (VmRSS in /proc/<pid>/status); undefined when it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
