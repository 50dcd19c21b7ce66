// Several nodes on PostgreSQL: end-to-end throughput of one node that serves and runs (role all)
// beside one api node and two runner nodes (roles api and runner), each with the same runner
// slots, on a fresh database of their own. Runner nodes share the api node's droplets folder (as
// a shared mount would). Needs a PostgreSQL: TASKD_BENCH_PG_URL, else TASKD_TEST_PG_URL.
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Api } from './api.js';
import { ADMIN_PASSWORD } from './seed.js';
import { removeOnExit, startServer, type Server } from './processes.js';
import { endToEnd, type ThroughputResult } from './throughput.js';
import { rate, ratio, section, table } from './report.js';

export interface NodesOptions {
  total: number;
  concurrency: number;
  slots: number;
  timeoutSeconds: number;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Task counts by state over the given apps, read from the PostgreSQL store. */
function pgWatcher(pool: pg.Pool) {
  return {
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
    const one = await measure(await Api.login(single.url, 'admin', ADMIN_PASSWORD), pool, 'one', opts);
    await single.stop();

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
