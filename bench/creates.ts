// Creates on one app on PostgreSQL (issue 21 item 8): the creates of one app wait for each other on
// the app row, locked from the statement that takes the task's sequence id to the commit. Measured
// as creates/s of `concurrency` clients all on one app, beside the same clients each on an app of
// its own (no shared lock: the baseline), on one api node whose tasks nobody runs: a runner row
// that stays alive is written beside it, so the creates are accepted PENDING and the figures are
// the creates' alone. Needs a PostgreSQL: TASKD_BENCH_PG_URL, else TASKD_TEST_PG_URL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Api } from './api.js';
import { ADMIN_PASSWORD } from './seed.js';
import { removeOnExit, startServer, type Server } from './processes.js';
import { createTask } from './tasks.js';
import { withDatabase } from './nodes.js';
import { ms, rate, ratio, section, summary, table } from './report.js';

export interface CreatesOptions {
  /** Creates per series. */
  total: number;
  concurrency: number;
}

interface Series {
  perSecond: number;
  latencies: number[];
  error?: string;
}

/** `total` creates by `concurrency` clients, client i on apps[i % apps.length]. */
async function series(api: Api, apps: string[], total: number, concurrency: number): Promise<Series> {
  let started = 0;
  let error: string | undefined;
  const latencies: number[] = [];
  const t0 = performance.now();
  const client = async (i: number) => {
    const app = apps[i % apps.length]!;
    while (started < total && !error) {
      started++;
      const t = performance.now();
      const res = await createTask(api, app);
      latencies.push(performance.now() - t);
      if (!res.guid) error = `create answered ${res.status}: ${res.error}`;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => client(i)));
  return { perSecond: latencies.length / ((performance.now() - t0) / 1000), latencies, error };
}

export async function createsOnOneApp(opts: CreatesOptions): Promise<void> {
  section(
    `Creates on one app, PostgreSQL: ${opts.total.toLocaleString('en-US')} creates by ${opts.concurrency} clients on one app, beside the same clients each on its own app`,
  );
  const url = process.env.TASKD_BENCH_PG_URL ?? process.env.TASKD_TEST_PG_URL;
  if (!url) {
    console.log('skipped: no PostgreSQL (set TASKD_BENCH_PG_URL or TASKD_TEST_PG_URL)');
    return;
  }
  const database = `taskd_bench_${randomBytes(4).toString('hex')}`;
  const at = (name: string) => withDatabase(url, name);
  const admin = new pg.Client({ connectionString: at('postgres') });
  await admin.connect();
  await admin.query(`create database ${database}`);
  let server: Server | undefined;
  try {
    const dir = mkdtempSync(path.join(tmpdir(), 'taskd-bench-creates-'));
    removeOnExit(dir);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TASKD_DATABASE_URL: at(database),
      TASKD_SECRET_KEY_FILE: path.join(dir, 'secret.key'),
      TASKD_ADMIN_PASSWORD: ADMIN_PASSWORD,
      TASKD_ACCESS_TOKEN_SECONDS: '7200',
      TASKD_ROLE: 'api',
      TASKD_ACTIVE_REQUESTS_PER_USER: String(opts.concurrency),
    };
    delete env.TASKD_CONFIG;
    server = await startServer('./server.ts', [dir], env, 'api node');
    const db = new pg.Client({ connectionString: at(database) });
    await db.connect();
    const now = new Date().toISOString();
    const far = new Date(Date.now() + 24 * 3600_000).toISOString();
    await db.query('insert into runners (id, hostname, pid, slots, started_at, heartbeat_at) values ($1, $2, $3, $4, $5, $6)', [
      'bench-elsewhere',
      'elsewhere',
      1,
      4,
      now,
      far,
    ]);
    await db.end();

    const api = await Api.login(server.url, 'admin', ADMIN_PASSWORD);
    const org = await api.expect(201, 'POST', '/v3/organizations', { name: 'bench-creates' });
    const space = await api.space(org.guid, 'bench');
    const apps: string[] = [];
    for (let i = 0; i < opts.concurrency; i++) apps.push(await api.appWithDroplet(space, `app-${i + 1}`));
    // Warm-up: connections, statements, the first pages of each table.
    await series(api, apps, 200, opts.concurrency);
    const separate = await series(api, apps, opts.total, opts.concurrency);
    const shared = await series(api, apps.slice(0, 1), opts.total, opts.concurrency);
    const row = (name: string, s: Series, baseline?: Series) => {
      const { p50, p99 } = summary(s.latencies);
      return [name, rate(s.perSecond), ms(p50), ms(p99), baseline ? ratio(s.perSecond / baseline.perSecond) : ''];
    };
    console.log(
      table(
        ['creates (PostgreSQL, one api node)', 'creates/s', 'p50', 'p99', 'vs own apps'],
        [
          row(`${opts.concurrency} clients, each on its own app`, separate),
          row(`${opts.concurrency} clients on one app`, shared, separate),
        ],
      ),
    );
    for (const s of [separate, shared]) if (s.error) console.log(`problem: ${s.error}`);
  } finally {
    await server?.stop();
    await admin.query(`drop database if exists ${database} with (force)`).catch(() => {});
    await admin.end();
  }
}
