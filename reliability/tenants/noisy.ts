// The noisy tenant: an ordinary SpaceDeveloper of its own space doing, all at once and from its
// own address, everything issue 17 found could take the service from others — thousands of live
// log streams, bursts of task creates, long tasks filling the runner's slots, a task flooding its
// output, droplet uploads and vSphere sessions in a loop, and failed logins against the quiet
// user. Every answer is counted by kind; nothing it is refused stops it (it simply goes on).
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { tgzOf } from '../../test/droplets/tarballs.js';
import { sleep } from '../support/taskd-process.js';
import { errorName, Tally, type Call, type Reply } from './client.js';
import { uploadBits, type Tenant } from './world.js';

export interface NoisySize {
  /** Live log streams it tries to hold open at once. */
  streams: number;
  /** Stream requests in flight while opening them. */
  streamsInFlight: number;
  /** Creates sent at once, first, and then every burstEveryMs. */
  firstBurst: number;
  burst: number;
  burstEveryMs: number;
  /** Tasks printing a line a second and never ending (`while :; do echo tick; sleep 1; done`). */
  longTasks: number;
  /** Tasks printing as fast as they can (`yes`). */
  floods: number;
  /** Zero bytes in each droplet it uploads (a few KB compressed, this much on disk once expanded). */
  dropletBytes: number;
  /** Droplet uploads, vSphere session logins in flight at once. */
  dropletsInFlight: number;
  sessionsInFlight: number;
  /** Between two failed logins as the quiet user. */
  failedLoginEveryMs: number;
}

export const LONG_COMMAND = 'while :; do echo tick; sleep 1; done';
export const FLOOD_COMMAND = 'yes';

export class NoisyTenant {
  readonly creates = new Tally();
  readonly streams = new Tally();
  readonly droplets = new Tally();
  readonly sessions = new Tally();
  readonly failedLogins = new Tally();
  /** Streams answered 200 that taskd ended before the check did. */
  streamsEndedByTaskd = 0;
  /** The most streams open at once. */
  streamsOpenPeak = 0;
  private streamsOpen = 0;
  private readonly heldStreams = new Set<http.ClientRequest>();
  private readonly floodTasks: string[] = [];
  private readonly longTasks: string[] = [];
  private stopping = false;
  /** Ends the requests in flight when the check stops the noisy tenant. */
  private readonly abort = new AbortController();
  private filling = true;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly tenant: Tenant,
    private readonly size: NoisySize,
    private readonly quietUsername: string,
  ) {
    // Every request in flight listens to it: hundreds at once.
    setMaxListeners(Infinity, this.abort.signal);
  }

  private get client() {
    return this.tenant.client;
  }

  /** A request of the noisy tenant's, ended when it stops; 10 s without an answer is none. */
  private ask(call: Call): Promise<Reply> {
    return this.client.send({ timeoutMs: 10_000, ...call, signal: this.abort.signal });
  }

  /** Every activity at once; resolves once the long tasks exist and the rest is under way. */
  async start(): Promise<void> {
    // The flood first and then the long tasks: first come, they take the runner's slots.
    for (let i = 0; i < this.size.floods; i++) {
      const guid = await this.createTask(FLOOD_COMMAND);
      if (guid) this.floodTasks.push(guid);
    }
    for (let i = 0; i < this.size.longTasks; i++) {
      const guid = await this.createTask(LONG_COMMAND);
      if (guid) this.longTasks.push(guid);
    }
    const streamed = this.longTasks[0] ?? this.floodTasks[0];
    if (streamed) this.loops.push(this.openStreams(streamed));
    this.loops.push(this.bursts(), this.dropletUploads(), this.sessionLogins(), this.failLogins());
  }

  /** Stops what grows the disk (the floods are cancelled, uploads end): the check's own safety net. */
  async stopFilling(): Promise<void> {
    this.filling = false;
    for (const guid of this.floodTasks) await this.client.send({ method: 'POST', path: `/v3/tasks/${guid}/actions/cancel` });
  }

  /**
   * Ends every activity, closes every stream it holds and cancels its floods and long tasks (a
   * taskd asked to stop while a task floods its output may take long to: the check's end would
   * wait for it).
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    for (const req of this.heldStreams) req.destroy();
    await Promise.all(this.loops);
    // Streams answered while the loops were winding down.
    for (const req of this.heldStreams) req.destroy();
    const tasks = [...this.floodTasks, ...this.longTasks];
    await Promise.all(
      tasks.map((guid) => this.client.send({ method: 'POST', path: `/v3/tasks/${guid}/actions/cancel`, timeoutMs: 10_000 })),
    );
    const deadline = performance.now() + 20_000;
    for (const guid of tasks) {
      while (performance.now() < deadline) {
        const res = await this.client.send({ method: 'GET', path: `/v3/tasks/${guid}`, timeoutMs: 10_000 });
        if (res.status !== 200 || res.body.state === 'FAILED' || res.body.state === 'SUCCEEDED') break;
        await sleep(100);
      }
    }
  }

  /** How many answers of every kind were 429 (refused by a limit). */
  get refused429(): number {
    return [this.creates, this.streams, this.droplets, this.sessions, this.failedLogins].reduce((n, t) => n + t.count((s) => s === 429), 0);
  }

  /** Answers of every kind that were 5xx. */
  get serverErrors(): number {
    return [this.creates, this.streams, this.droplets, this.sessions, this.failedLogins].reduce((n, t) => n + t.count((s) => s >= 500), 0);
  }

  private async createTask(command: string): Promise<string | undefined> {
    const res = await this.ask({ method: 'POST', path: `/v3/apps/${this.tenant.appGuid}/tasks`, json: { command } });
    this.creates.add(res);
    return res.status === 202 ? (res.body as { guid: string }).guid : undefined;
  }

  private async bursts(): Promise<void> {
    let size = this.size.firstBurst;
    while (!this.stopping) {
      await Promise.all(Array.from({ length: size }, () => this.createTask('true')));
      size = this.size.burst;
      await this.pause(this.size.burstEveryMs);
    }
  }

  /** Opens streams, streamsInFlight at a time, until `streams` attempts were made; holds the open ones. */
  private async openStreams(taskGuid: string): Promise<void> {
    let attempts = 0;
    const worker = async () => {
      while (!this.stopping && attempts < this.size.streams) {
        attempts++;
        await this.openStream(taskGuid);
      }
    };
    await Promise.all(Array.from({ length: this.size.streamsInFlight }, worker));
  }

  /** One GET of the live log stream: resolves once answered (held open if 200) or refused. */
  private openStream(taskGuid: string): Promise<void> {
    return new Promise((resolve) => {
      let answered = false;
      const done = (reply: Pick<Reply, 'status' | 'error'>) => {
        if (answered) return;
        answered = true;
        this.streams.add(reply);
        resolve();
      };
      const req = http.request({
        host: '127.0.0.1',
        port: this.client.port,
        localAddress: this.client.localAddress,
        path: `/v3/tasks/${taskGuid}/log`,
        headers: { accept: 'text/event-stream', authorization: this.client.authorization },
        agent: false,
        timeout: 10_000,
        signal: this.abort.signal,
      });
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          res.on('end', () => req.destroy());
          done({ status: res.statusCode ?? 0 });
          return;
        }
        this.heldStreams.add(req);
        this.streamsPeak(+1);
        // A stream never stops by itself: the timeout only bounds waiting for the answer.
        req.setTimeout(0);
        res.resume();
        res.on('close', () => {
          this.heldStreams.delete(req);
          this.streamsPeak(-1);
          if (!this.stopping) this.streamsEndedByTaskd++;
        });
        done({ status: 200 });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 10 s'), { code: 'timeout' })));
      req.on('error', (err) => done({ status: 0, error: this.stopping ? 'aborted' : errorName(err) }));
      req.end();
    });
  }

  private streamsPeak(delta: number): void {
    this.streamsOpen += delta;
    this.streamsOpenPeak = Math.max(this.streamsOpenPeak, this.streamsOpen);
  }

  private async dropletUploads(): Promise<void> {
    const bundle = await tgzOf([
      { name: 'app/', type: 'directory' },
      { name: 'app/run.sh', content: '#!/bin/sh\necho hello\n', mode: 0o755 },
      { name: 'app/zeros', content: Buffer.alloc(this.size.dropletBytes) },
    ]);
    /** Its droplets refused an upload (429): still awaiting one, tried again later. */
    const awaiting: string[] = [];
    const uploader = async () => {
      while (!this.stopping && this.filling) {
        const droplet = await this.ask({
          method: 'POST',
          path: '/v3/droplets',
          json: { relationships: { app: { data: { guid: this.tenant.appGuid } } } },
        });
        this.droplets.add(droplet);
        // At its app's limit of droplets awaiting upload (422), it uploads to one it has instead.
        const guid = droplet.status === 201 ? (droplet.body as { guid: string }).guid : awaiting.shift();
        if (!guid) {
          await this.pause(200);
          continue;
        }
        const upload = await uploadBits(this.client, guid, bundle, this.abort.signal);
        this.droplets.add(upload);
        if (upload.status === 429) awaiting.push(guid);
      }
    };
    await Promise.all(Array.from({ length: this.size.dropletsInFlight }, uploader));
  }

  /** vSphere sessions, never closed, through /api and /rest in turn. */
  private async sessionLogins(): Promise<void> {
    const basic = `Basic ${Buffer.from(`${this.tenant.username}:${this.tenant.password}`).toString('base64')}`;
    let turn = 0;
    const opener = async () => {
      while (!this.stopping) {
        const rest = turn++ % 2 === 1;
        const res = await this.ask({
          method: 'POST',
          path: rest ? '/rest/com/vmware/cis/session' : '/api/session',
          headers: { authorization: basic, ...(rest ? { 'vmware-use-header-authn': 'true' } : {}) },
        });
        this.sessions.add(res);
        if (res.status === 429) await this.pause(100);
      }
    };
    await Promise.all(Array.from({ length: this.size.sessionsInFlight }, opener));
  }

  /** Wrong passwords for the quiet user, from the noisy tenant's address. */
  private async failLogins(): Promise<void> {
    const body = new URLSearchParams({ grant_type: 'password', username: this.quietUsername, password: 'not-the-password-1' }).toString();
    while (!this.stopping) {
      const res = await this.ask({
        method: 'POST',
        path: '/oauth/token',
        // A throttled login is answered late (growing delays, up to minutes), not refused: waited for.
        timeoutMs: 600_000,
        headers: {
          // The CF CLI's client, and no bearer token: a login is unauthenticated.
          authorization: `Basic ${Buffer.from('cf:').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        raw: body,
      });
      this.failedLogins.add(res);
      await this.pause(this.size.failedLoginEveryMs);
    }
  }

  /** Sleeps, but no longer than until stop() is called. */
  private async pause(ms: number): Promise<void> {
    const until = performance.now() + ms;
    while (!this.stopping && performance.now() < until) await sleep(Math.min(100, until - performance.now()));
  }
}
