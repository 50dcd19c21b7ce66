// taskd on PostgreSQL: end-to-end throughput of one node that serves and runs (role all), sandboxed
// and not, beside the bare loops and beside graphile-worker (the peer, in bench/bare-spawn.mjs),
// and its create-to-running latency beside the bare sandbox's (or spawn's);
// then one api node and two runner nodes (roles api and runner), each with the same runner slots.
// Each on a fresh database of its own. Runner nodes share the api node's droplets folder (as a
// shared mount would). Needs a PostgreSQL: TASKD_BENCH_PG_URL, else TASKD_TEST_PG_URL.
import { execFile } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { Api } from './api.js';
import { ADMIN_PASSWORD } from './seed.js';
import { removeOnExit, startServer, type Server } from './processes.js';
import { endToEnd, type ThroughputResult } from './throughput.js';
import { ms, rate, ratio, section, summary, table, target } from './report.js';
import { bareLatencies, bareThroughput } from './spawn.js';
import { selfReported, sequentialCreates, type TaskTimes } from './latency.js';

const BASELINES = fileURLToPath(new URL('./bare-spawn.mjs', import.meta.url));

export interface NodesOptions {
  total: number;
  /** Sequential creates in the create-to-running series. */
  latencySamples: number;
  concurrency: number;
  slots: number;
  timeoutSeconds: number;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Task counts by state over the given apps, and one task's times and output, read from the PostgreSQL store. */
function pgWatcher(pool: pg.Pool) {
  return {
    async task(guid: string): Promise<TaskTimes | undefined> {
      const { rows } = await pool.query<TaskTimes>('select state, started_at, finished_at from tasks where guid = $1', [guid]);
      return rows[0];
    },
    async output(guid: string): Promise<string> {
      const { rows } = await pool.query<{ text: string }>(
        'select l.text from task_log_lines l join tasks t on t.id = l.task_id where t.guid = $1 order by l.seq',
        [guid],
      );
      return rows.map((r) => r.text).join('');
    },
    async states(appGuids: string[]): Promise<Record<string, number>> {
      const { rows } = await pool.query<{ state: string; n: string }>(
        'select t.state, count(*) as n from tasks t join apps a on a.id = t.app_id where a.guid = any($1) group by t.state',
        [appGuids],
      );
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    },
  };
}

async function measure(api: Api, pool: pg.Pool, label: string, opts: NodesOptions): Promise<ThroughputResult> {
  const org = await api.expect(201, 'POST', '/v3/organizations', { name: `bench-nodes-${label}` });
  const space = await api.space(org.guid, 'bench');
  const apps = [];
  for (let i = 0; i < opts.concurrency; i++) apps.push(await api.appWithDroplet(space, `app-${i + 1}`));
  return endToEnd(api, pgWatcher(pool), apps, opts.total, opts.timeoutSeconds);
}

/** Sequential creates of `date +%s%N` on a fresh app, each to the time its process printed (bench/latency.ts). */
async function createToRunning(api: Api, pool: pg.Pool, opts: NodesOptions) {
  const org = await api.expect(201, 'POST', '/v3/organizations', { name: 'bench-nodes-latency' });
  const app = await api.appWithDroplet(await api.space(org.guid, 'bench'), 'latency');
  const series = await sequentialCreates(api, pgWatcher(pool), app, opts.latencySamples, 'date +%s%N', true);
  if (series.error) console.log(`create-to-running stopped early: ${series.error}`);
  return summary(selfReported(series));
}

async function sandboxOf(url: string): Promise<string> {
  const info = (await (await fetch(`${url}/v3/info`)).json()) as { taskd?: { sandbox?: string } };
  return info.taskd?.sandbox ?? 'unknown';
}

/** graphile-worker's figure (bench/bare-spawn.mjs graphile) on a database of its own, dropped afterwards. */
async function graphileWorker(admin: pg.Client, url: string, opts: NodesOptions): Promise<{ perSecond: number } | { error: string }> {
  const database = `taskd_bench_peer_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${database}`);
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BASELINES, 'graphile', withDatabase(url, database), String(opts.total), String(opts.concurrency)],
      { timeout: opts.timeoutSeconds * 1000 },
    );
    return JSON.parse(stdout) as { perSecond: number };
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0] };
  } finally {
    await admin.query(`drop database if exists ${database} with (force)`).catch(() => {});
  }
}

function dispatchTable(
  opts: NodesOptions,
  x: {
    one: ThroughputResult;
    plain: ThroughputResult;
    sandbox: string;
    bareSandbox?: number;
    bareSpawn: number;
    peer: { perSecond: number } | { error: string };
  },
): void {
  const peer = 'perSecond' in x.peer ? x.peer.perSecond : NaN;
  console.log(
    table(
      ['measure (PostgreSQL, one node)', 'per second', 'vs its baseline'],
      [
        [
          `taskd end-to-end, sandbox ${x.sandbox} (SUCCEEDED/s)`,
          rate(x.one.tasksPerSecond),
          x.bareSandbox ? ratio(x.one.tasksPerSecond / x.bareSandbox) : '',
        ],
        ...(x.bareSandbox ? [[`bare bwrap loop (${opts.concurrency} concurrent)`, rate(x.bareSandbox), '']] : []),
        ['taskd end-to-end, unsandboxed (SUCCEEDED/s)', rate(x.plain.tasksPerSecond), ratio(x.plain.tasksPerSecond / x.bareSpawn)],
        [`bare spawn loop (${opts.concurrency} concurrent)`, rate(x.bareSpawn), ''],
        [`graphile-worker 0.17, handler spawns /bin/true (${opts.concurrency} concurrent)`, rate(peer), ''],
        ['taskd unsandboxed vs graphile-worker', '', ratio(x.plain.tasksPerSecond / peer)],
        ['taskd sandboxed vs graphile-worker', '', ratio(x.one.tasksPerSecond / peer)],
      ],
    ),
  );
  if ('error' in x.peer) console.log(`graphile-worker could not run: ${x.peer.error}`);
  if (x.bareSandbox)
    console.log(
      target(
        'PostgreSQL: end-to-end throughput, sandboxed: >= 0.7x the bare bwrap loop',
        x.one.states.SUCCEEDED ? x.one.tasksPerSecond >= 0.7 * x.bareSandbox : undefined,
        ratio(x.one.tasksPerSecond / x.bareSandbox),
      ),
    );
  console.log(
    target(
      'PostgreSQL: end-to-end throughput, unsandboxed: >= 0.8x the bare spawn loop',
      x.plain.states.SUCCEEDED ? x.plain.tasksPerSecond >= 0.8 * x.bareSpawn : undefined,
      ratio(x.plain.tasksPerSecond / x.bareSpawn),
    ),
  );
  console.log(
    target(
      'PostgreSQL: end-to-end throughput >= 1.0x graphile-worker (both spawning plainly)',
      x.plain.states.SUCCEEDED && Number.isFinite(peer) ? x.plain.tasksPerSecond >= peer : undefined,
      Number.isFinite(peer) ? ratio(x.plain.tasksPerSecond / peer) : 'graphile-worker did not run',
    ),
  );
}

export async function severalNodes(opts: NodesOptions): Promise<void> {
  section(
    `Several nodes on PostgreSQL: ${opts.total.toLocaleString('en-US')} \`true\` tasks at concurrency ${opts.concurrency}, one node beside one api node and two runner nodes`,
  );
  const url = process.env.TASKD_BENCH_PG_URL ?? process.env.TASKD_TEST_PG_URL;
  if (!url) {
    console.log('skipped: no PostgreSQL (set TASKD_BENCH_PG_URL or TASKD_TEST_PG_URL)');
    return;
  }
  const database = `taskd_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const pool = new pg.Pool({ connectionString: withDatabase(url, database), max: 2 });
  const servers: Server[] = [];
  // Every node on the database opens its token signing keys with the same secret key file.
  const keyDir = mkdtempSync(path.join(tmpdir(), 'taskd-bench-key-'));
  removeOnExit(keyDir);
  const env = (role: string): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = {
      ...process.env,
      TASKD_DATABASE_URL: withDatabase(url, database),
      TASKD_SECRET_KEY_FILE: path.join(keyDir, 'secret.key'),
      TASKD_ADMIN_PASSWORD: ADMIN_PASSWORD,
      TASKD_RUNNER_SLOTS: String(opts.slots),
      TASKD_ACCESS_TOKEN_SECONDS: '7200',
      TASKD_ROLE: role,
    };
    delete e.TASKD_CONFIG;
    return e;
  };
  const dataDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'taskd-bench-node-'));
    removeOnExit(dir);
    return dir;
  };
  try {
    const single = await startServer('./server.ts', [dataDir()], env('all'), 'one node');
    servers.push(single);
    const sandbox = await sandboxOf(single.url);
    const singleAdmin = await Api.login(single.url, 'admin', ADMIN_PASSWORD);
    const one = await measure(singleAdmin, pool, 'one', opts);
    const running = await createToRunning(singleAdmin, pool, opts);
    await single.stop();
    // The dispatch figures on PostgreSQL: one node beside the sandbox's own loop, the same node
    // unsandboxed beside a plain spawn loop and beside graphile-worker, a job queue on the same
    // PostgreSQL whose handler spawns /bin/true.
    const plainNode = await startServer('./server.ts', [dataDir()], { ...env('all'), TASKD_SANDBOX: 'none' }, 'one node, unsandboxed');
    servers.push(plainNode);
    const plain = await measure(await Api.login(plainNode.url, 'admin', ADMIN_PASSWORD), pool, 'plain', opts);
    await plainNode.stop();
    const baselineCount = Math.min(opts.total, 2_000);
    const bareSandbox = sandbox === 'bwrap' ? (await bareThroughput(baselineCount, opts.concurrency, true)).perSecond : undefined;
    const bareSpawn = (await bareThroughput(baselineCount, opts.concurrency)).perSecond;
    const peer = await graphileWorker(admin, url, opts);
    const bareRunning = await bareLatencies(opts.latencySamples, sandbox === 'bwrap');
    dispatchTable(opts, { one, plain, sandbox, bareSandbox, bareSpawn, peer });
    const floor = summary(bareRunning.selfReport);
    const floorName = sandbox === 'bwrap' ? 'bare bwrap' : 'bare spawn';
    console.log(
      table(
        ['measure (PostgreSQL, one node)', 'p50', 'p99', 'samples'],
        [
          [`${floorName}: sh -c 'date +%s%N' -> printed time`, ms(floor.p50), ms(floor.p99), String(floor.n)],
          [`taskd, sandbox ${sandbox}: create \`date +%s%N\` -> printed time`, ms(running.p50), ms(running.p99), String(running.n)],
        ],
      ),
    );
    console.log(
      target(
        `PostgreSQL: create -> process running (its own clock), tiny droplet: p50 <= ${floorName} + 5 ms`,
        running.n ? running.p50 <= floor.p50 + 5 : undefined,
        running.n ? `${ms(running.p50)} vs ${ms(floor.p50)} + 5 ms` : 'no samples',
      ),
    );

    const apiDir = dataDir();
    const apiNode = await startServer('./server.ts', [apiDir], env('api'), 'api node');
    servers.push(apiNode);
    for (const n of [1, 2]) {
      const dir = dataDir();
      symlinkSync(path.join(apiDir, 'droplets'), path.join(dir, 'droplets'));
      servers.push(await startServer('./server.ts', [dir], { ...env('runner'), TASKD_EXTERNAL_URL: apiNode.url }, `runner ${n}`));
    }
    const three = await measure(await Api.login(apiNode.url, 'admin', ADMIN_PASSWORD), pool, 'three', opts);
    console.log(
      table(
        ['setup', 'SUCCEEDED/s', 'creates/s', 'seconds', 'vs one node'],
        [
          [`one node (all), ${opts.slots} slots`, rate(one.tasksPerSecond), rate(one.createsPerSecond), one.seconds.toFixed(1), ''],
          [
            `api node + 2 runner nodes, ${opts.slots} slots each`,
            rate(three.tasksPerSecond),
            rate(three.createsPerSecond),
            three.seconds.toFixed(1),
            ratio(three.tasksPerSecond / one.tasksPerSecond),
          ],
        ],
      ),
    );
    for (const [name, r] of [
      ['one node', one],
      ['three nodes', three],
    ] as const)
      if (r.error) console.log(`problem (${name}): ${r.error}`);
    console.log("all nodes share this machine's cores here: more nodes add slots, not CPU.");
  } finally {
    for (const server of servers) await server.stop();
    await pool.end();
    await admin.query(`drop database if exists ${database} with (force)`).catch(() => {});
    await admin.end();
  }
}
