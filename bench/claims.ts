// `npx tsx bench/claims.ts [--pending N] [--claims N]`: what one runner's claim costs when one
// organization has a burst of PENDING tasks (default 100,000) and another a few, on SQLite and, with
// TASKD_BENCH_PG_URL or TASKD_TEST_PG_URL, on PostgreSQL (a schema of its own, dropped after).
// Each round claims 4 tasks fairly (store/tasks/transitions.ts claimTasks) and then ends them, so
// the queue stays full; beside it, the first-come claim taskd made before (the 4 oldest PENDING,
// in one statement) as the baseline. Figures only, never pass/fail.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { openStore, type Store } from '../src/store/database.js';
import { claimTasks } from '../src/store/tasks/transitions.js';
import { launchContext } from '../src/store/tasks/launch-context.js';
import { ms, summary, table } from './report.js';

const { values } = parseArgs({ options: { pending: { type: 'string' }, claims: { type: 'string' } } });
const PENDING = Number(values.pending ?? 100_000);
const ROUNDS = Number(values.claims ?? 200);
const SLOTS = 4;
const PG_URL = process.env.TASKD_BENCH_PG_URL ?? process.env.TASKD_TEST_PG_URL;

/** An organization with one space and one app; returns the ids a task row needs. */
async function tenant(store: Store, name: string) {
  const now = new Date().toISOString();
  const org = await store.db
    .insertInto('organizations')
    .values({ guid: randomUUID(), name, suspended: 0, status: 'active', quota_id: null, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const space = await store.db
    .insertInto('spaces')
    .values({ guid: randomUUID(), name, organization_id: org.id, quota_id: null, status: 'active', created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const app = await store.db
    .insertInto('apps')
    .values({
      guid: randomUUID(),
      name,
      space_id: space.id,
      state: 'STOPPED',
      lifecycle_type: 'buildpack',
      stack: null,
      lifecycle_data: '{}',
      environment_variables: '{}',
      current_droplet_id: null,
      next_task_sequence_id: 1,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { orgId: org.id, spaceId: space.id, appId: app.id };
}

/** Inserts `count` PENDING tasks of the tenant in batches (the counters' triggers keep up). */
async function queue(store: Store, who: Awaited<ReturnType<typeof tenant>>, count: number, firstSeq: number) {
  const now = new Date().toISOString();
  for (let done = 0; done < count;) {
    const n = Math.min(500, count - done);
    await store.db
      .insertInto('tasks')
      .values(
        Array.from({ length: n }, (_, i) => ({
          guid: randomUUID(),
          app_id: who.appId,
          space_id: who.spaceId,
          organization_id: who.orgId,
          sequence_id: firstSeq + done + i,
          name: 'burst',
          command: 'true',
          user: null,
          state: 'PENDING',
          memory_in_mb: 256,
          disk_in_mb: 256,
          log_rate_limit: -1,
          droplet_guid: 'none',
          failure_reason: null,
          exit_status: null,
          timeout_seconds: null,
          created_by: null,
          runner_id: null,
          started_at: null,
          finished_at: null,
          cancel_requested_at: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    done += n;
  }
}

/** The claim taskd made before fair claims: the 4 oldest PENDING, whoever they belong to. */
async function firstComeClaim(store: Store): Promise<number[]> {
  const now = new Date().toISOString();
  const rows = await store.db
    .with('oldest', (db) => {
      const oldest = db.selectFrom('tasks').select('id').where('state', '=', 'PENDING').orderBy('id').limit(SLOTS);
      return store.dialect === 'postgres' ? oldest.forUpdate().skipLocked() : oldest;
    })
    .updateTable('tasks')
    .set({ state: 'RUNNING', runner_id: 'bench-runner', started_at: now, updated_at: now })
    .where('id', 'in', (eb) => eb.selectFrom('oldest').select('oldest.id'))
    .where('state', '=', 'PENDING')
    .returningAll()
    .returning(launchContext)
    .execute();
  return rows.map((r) => r.id);
}

async function measure(store: Store): Promise<string[][]> {
  const noisy = await tenant(store, 'noisy');
  const quiet = await tenant(store, 'quiet');
  const seeded = performance.now();
  await queue(store, noisy, PENDING, 1);
  await queue(store, quiet, 5, 1);
  // SQLite's bounded optimize, as taskd runs it; on PostgreSQL what autovacuum would have done by now.
  if (store.dialect === 'postgres') await sql`analyze`.execute(store.db);
  else await store.optimize();
  console.log(`  ${store.dialect}: queued ${PENDING.toLocaleString('en-US')} + 5 PENDING in ${ms(performance.now() - seeded)}`);

  const end = async (ids: number[]) => {
    if (ids.length)
      await store.db
        .updateTable('tasks')
        .set({ state: 'SUCCEEDED', finished_at: new Date().toISOString() })
        .where('id', 'in', ids)
        .execute();
  };
  const fair: number[] = [];
  let quietFirst = -1;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const claimed = await claimTasks(store.db, store.dialect, 'bench-runner', SLOTS, { orgRunningLimit: 50, spaceRunningLimit: 25 });
    fair.push(performance.now() - t0);
    if (quietFirst < 0 && claimed.some((t) => t.organization_id === quiet.orgId)) quietFirst = i + 1;
    await end(claimed.map((t) => t.id));
  }
  const firstCome: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const claimed = await firstComeClaim(store);
    firstCome.push(performance.now() - t0);
    await end(claimed);
  }
  const f = summary(fair);
  const b = summary(firstCome);
  return [
    [store.dialect, 'fair claim (4 slots, claim + update)', ms(f.p50), ms(f.p99), `quiet org's first task in claim ${quietFirst}`],
    [store.dialect, 'first-come claim, as before (baseline)', ms(b.p50), ms(b.p99), ''],
  ];
}

async function main() {
  const rows: string[][] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-bench-claims-'));
  const sqlite = await openStore({ dataDir: dir });
  try {
    rows.push(...(await measure(sqlite)));
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (PG_URL) {
    const schema = `bench_claims_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const store = await openStore({ dataDir: dir, databaseUrl: url.toString(), pgSchema: schema });
    try {
      rows.push(...(await measure(store)));
    } finally {
      await store.close();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
  } else console.log('  PostgreSQL skipped: set TASKD_BENCH_PG_URL or TASKD_TEST_PG_URL');
  console.log(table(['store', 'what', 'p50', 'p99', ''], rows));
}

await main();
