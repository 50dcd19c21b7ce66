// The taskd both tenants share: `taskd serve` as its own process (from the bundle under `npm run
// reliability`), on a fresh data directory and a fresh store (SQLite there, or a schema of its own
// in the PostgreSQL of TASKD_TEST_PG_URL), its output to a file (a busy check draining a pipe late
// would stall taskd itself), and stopped at the end with the task supervisor it leaves.
import { mkdtempSync, readdirSync, lstatSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { basic, send } from '../support/http.js';
import { envWithoutTaskd, sleep, TaskdProcess } from '../support/taskd-process.js';
import { supervisorPidOf } from '../../test/support/supervisor-pid.js';

export const ADMIN_PASSWORD = 'reliability-admin-password';

/** The PostgreSQL test suites' lock for schema DDL (test/support/harness.ts): set-ups take turns with teardowns. */
const SCHEMA_SETUP_LOCK = 7_346_221;

export type StoreKind = 'sqlite' | 'postgres';

export interface DiskUse {
  /** The store and the droplets: what the tenants' budgets bound. */
  stored: number;
  /** The running tasks' disks: what the slots and disk_in_mb bound. */
  scratch: number;
}

export class SharedTaskd {
  adminToken = '';

  private constructor(
    private readonly serving: TaskdProcess,
    readonly dataDir: string,
    private readonly pgUrl: string | undefined,
    private readonly pgSchema: string | undefined,
    private readonly logFile: string,
  ) {}

  /** Starts taskd on a fresh store with exactly `env` (plus the admin's password), and logs in as admin. */
  static async start(store: StoreKind, env: Record<string, string>): Promise<SharedTaskd> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-tenants-'));
    const pgUrl = store === 'postgres' ? process.env.TASKD_TEST_PG_URL : undefined;
    const pgSchema = pgUrl ? `tenants_${Date.now().toString(36)}` : undefined;
    let databaseUrl: string | undefined;
    if (pgUrl && pgSchema) {
      await withPg(pgUrl, async (c) => {
        await c.query('select pg_advisory_lock($1)', [SCHEMA_SETUP_LOCK]);
        try {
          await c.query(`create schema ${pgSchema}`);
        } finally {
          await c.query('select pg_advisory_unlock($1)', [SCHEMA_SETUP_LOCK]);
        }
      });
      const url = new URL(pgUrl);
      url.searchParams.set('options', `-c search_path=${pgSchema}`);
      databaseUrl = url.toString();
    }
    // Beside the data directory, not in it: the log is not the tenants' disk use.
    const logFile = path.join(tmpdir(), `${path.basename(dataDir)}.log`);
    let serving: TaskdProcess | undefined;
    try {
      serving = await TaskdProcess.start(dataDir, {
        logFile,
        env: envWithoutTaskd({
          ...env,
          TASKD_ADMIN_PASSWORD: ADMIN_PASSWORD,
          ...(databaseUrl ? { TASKD_DATABASE_URL: databaseUrl } : {}),
        }),
        waitReady: true,
      });
      const shared = new SharedTaskd(serving, dataDir, pgUrl, pgSchema, logFile);
      shared.adminToken = await shared.login('admin', ADMIN_PASSWORD);
      return shared;
    } catch (err) {
      await serving?.kill();
      if (pgUrl && pgSchema) await dropSchema(pgUrl, pgSchema).catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(logFile, { force: true });
      throw err;
    }
  }

  get url(): string {
    return this.serving.url;
  }

  get port(): number {
    return this.serving.port;
  }

  get pid(): number {
    return this.serving.pid;
  }

  get alive(): boolean {
    return this.serving.alive;
  }

  /** The end of what taskd printed, for a failure line. */
  logTail(chars = 3000): string {
    return this.serving.log.slice(-chars);
  }

  /** CF's password grant, from 127.0.0.1; answers the access token. */
  async login(username: string, password: string): Promise<string> {
    const res = await send({
      method: 'POST',
      url: `${this.url}/oauth/token`,
      authorization: basic('cf', ''),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      raw: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
      timeoutMs: 30_000,
    });
    if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${res.text.slice(0, 300)}`);
    return (res.body as { access_token: string }).access_token;
  }

  /**
   * Bytes on disk now, in two parts. Stored: every file's allocated blocks under the data
   * directory but run/ (SQLite's database and its WAL, droplets), plus on PostgreSQL the schema's
   * tables, indexes and TOAST. Scratch: run/, where each running task's disk (its disk_in_mb,
   * allocated up front) lives until the task ends.
   */
  async diskUse(): Promise<DiskUse> {
    // Walked apart, not subtracted: a task's disk made between two walks would count as stored.
    const scratch = allocatedBytes(path.join(this.dataDir, 'run'));
    let stored = allocatedBytes(this.dataDir, ['run']);
    if (this.pgUrl && this.pgSchema) {
      stored += await withPg(this.pgUrl, async (c) => {
        const res = await c.query(
          `select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as bytes
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = $1 and c.relkind in ('r', 'm')`,
          [this.pgSchema],
        );
        return Number((res.rows[0] as { bytes: string }).bytes);
      });
    }
    return { stored, scratch };
  }

  /** SIGTERM (SIGKILL after 15 s), then the supervisor if it lingers; the store and directory are removed. */
  async stop(): Promise<void> {
    const supervisor = supervisorPidOf(this.dataDir);
    await this.serving.stop(15_000);
    if (supervisor !== undefined) {
      const deadline = Date.now() + 12_000;
      while (processAlive(supervisor) && Date.now() < deadline) await sleep(100);
      if (processAlive(supervisor)) process.kill(supervisor, 'SIGKILL');
    }
    if (this.pgUrl && this.pgSchema) await dropSchema(this.pgUrl, this.pgSchema).catch(() => {});
    rmSync(this.dataDir, { recursive: true, force: true });
    rmSync(this.logFile, { force: true });
  }
}

/** Allocated bytes of every file under `dir` but the entries named in `except` (what `du` counts); files removed meanwhile count nothing. */
export function allocatedBytes(dir: string, except: string[] = []): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (except.includes(name)) continue;
    const full = path.join(dir, name);
    try {
      const st = lstatSync(full);
      total += st.blocks * 512;
      if (st.isDirectory()) total += allocatedBytes(full);
    } catch {
      // Gone meanwhile (a task's working directory, an upload in progress).
    }
  }
  return total;
}

async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  await withPg(url, async (c) => {
    await c.query('select pg_advisory_lock($1)', [SCHEMA_SETUP_LOCK]);
    try {
      await c.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await c.query('select pg_advisory_unlock($1)', [SCHEMA_SETUP_LOCK]);
    }
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
