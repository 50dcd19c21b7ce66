// The taskd under attack for the races checks: real `taskd serve` processes on one store, each
// serving the API on its own port and running tasks. SQLite: one process on the data directory
// (one machine, one file). PostgreSQL: two processes on one schema, each with its own data
// directory that shares the droplets (as a shared mount would). An in-process harness on the
// same store, running no tasks, sets up the org, space and app and reads the store directly.
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Harness, type StoreKind } from '../../test/support/harness.js';
import { appWithCurrentDroplet } from '../../test/droplets/helpers.js';
import { bearer, send, type Answer } from '../support/http.js';
import { storeEnv, TaskdProcess } from '../support/taskd-process.js';

export interface TaskdNode {
  /** Where its API listens, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Its runner's id in the store's runners table. */
  runnerId: string;
  process: TaskdProcess;
}

export interface ClusterOptions {
  kind: StoreKind;
  /** Runner slots per node. */
  slots: number;
}

export class RaceCluster {
  readonly nodes: TaskdNode[] = [];
  private readonly dirs: string[] = [];

  private constructor(readonly harness: Harness) {}

  static async start(options: ClusterOptions): Promise<RaceCluster> {
    // The harness's own taskd runs no tasks (0 slots): every task runs in a node process.
    const cluster = new RaceCluster(new Harness(options.kind, { runnerSlots: 0 }));
    try {
      await cluster.harness.start();
      const count = options.kind === 'postgres' ? 2 : 1;
      // Settled, not raced: a node still starting when another failed must be stopped too.
      const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => cluster.startNode(options.slots, i === 0)));
      for (const s of started) if (s.status === 'rejected') throw s.reason;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get db() {
    return this.harness.db;
  }

  get token(): string {
    return this.harness.admin.token;
  }

  /**
   * A request to a node as the admin, over keep-alive as a busy client sends it, bounded: one
   * that gets no answer within a minute counts as failed (status 0) and the check goes on.
   */
  send(method: string, url: string, body?: unknown): Promise<Answer> {
    return send({ method, url, authorization: bearer(this.token), json: body, timeoutMs: 60_000 });
  }

  /** A new org, space and app with a staged current droplet; its guid and row id. */
  async app(): Promise<{ guid: string; id: number }> {
    const h = this.harness;
    const org = await h.org();
    const space = await h.space(org.guid);
    const { app } = await appWithCurrentDroplet(h, space.guid);
    const row = await h.db.selectFrom('apps').select('id').where('guid', '=', app.guid).executeTakeFirstOrThrow();
    return { guid: app.guid, id: row.id };
  }

  /** The node whose runner holds this runner id, if any. */
  nodeOfRunner(runnerId: string | null): TaskdNode | undefined {
    return this.nodes.find((n) => n.runnerId === runnerId);
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.process.kill('SIGTERM').catch(() => {});
    await this.harness.stop().catch(() => {});
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }

  private async startNode(slots: number, onHarnessDir: boolean): Promise<void> {
    const h = this.harness;
    let dataDir = h.config.dataDir;
    if (!onHarnessDir) {
      dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-races-'));
      this.dirs.push(dataDir);
      symlinkSync(path.join(h.config.dataDir, 'droplets'), path.join(dataDir, 'droplets'));
    }
    // Unsandboxed: the races are about the store and the API, and bubblewrap's start (tested
    // elsewhere) would only slow thousands of tasks down. One user makes thousands of creates a
    // minute here, on purpose: the per-user create rate limit (0: none) would refuse most of them.
    const process = await TaskdProcess.start(dataDir, {
      env: storeEnv(h, {
        TASKD_RUNNER_SLOTS: String(slots),
        // The races' tasks never wait for a slot: none is kept for another organization.
        TASKD_RUNNER_RESERVED_SLOTS: '0',
        TASKD_SANDBOX: 'none',
        TASKD_TASK_CREATE_RATE_LIMIT: '0',
      }),
    });
    const { url } = process;
    const runner = await h.db.selectFrom('runners').select('id').where('pid', '=', process.pid).executeTakeFirst();
    if (!runner) {
      await process.kill('SIGTERM');
      throw new Error(`taskd process ${process.pid} serves ${url} but has no runner in the store`);
    }
    this.nodes.push({ url, runnerId: runner.id, process });
  }
}
