// Seeds a benchmark database straight into the store (not through HTTP) and caches it under the
// OS temp directory, keyed by the migrations' names and contents, so a second run reuses it.
// Each run works on a copy, so what a run creates never leaks into the next one.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { openStore } from '../src/store/database.js';
import { seed as seedDefaults } from '../src/store/seed.js';
import { ensureAdminUser } from '../src/actions/users.js';
import { hashPassword } from '../src/auth/passwords.js';
import { seededRandom } from '../reliability/check.js';

export const ADMIN_PASSWORD = 'bench-admin-password';
export const DEVELOPER = { username: 'bench-developer', password: 'bench-developer-password' };
/** Owner of the seeded RUNNING rows: a runner row whose heartbeat never expires, so no live runner's reconciliation takes them for orphans. */
export const SEEDED_RUNNER_ID = 'bench-seeded-runner';

/** Bump when the shape of the seeded data changes, so old caches are not reused. */
const SEED_VERSION = 2;
const ORGS = 10;
const SPACES_PER_ORG = 10;
const APPS_PER_SPACE = 10;
const BATCH = 50_000;
const DAY_MS = 86_400_000;

export interface SeedInfo {
  dir: string;
  reused: boolean;
  tasks: number;
  labelled: number;
  states: Record<string, number>;
  seconds: number;
  bytes: number;
  /** Guid of the space the seeded developer works in. */
  developerSpaceGuid: string;
  developerSpaceTasks: number;
  orgGuid: string;
  /** A task in the middle of the table, for single-task requests. */
  sampleTaskGuid: string;
}

const migrationsDir = fileURLToPath(new URL('../src/store/migrations/', import.meta.url));

/** Migration files' names and a hash of their contents: a changed schema gets a fresh seed. */
function schemaKey(taskCount: number): { key: string; migrations: string[] } {
  const files = readdirSync(migrationsDir)
    .filter((f) => /^\d+_.*\.ts$/.test(f))
    .sort();
  const hash = createHash('sha256').update(`seed-v${SEED_VERSION} tasks=${taskCount}\n`);
  // migrate.ts too: a migration file exists before it is registered there.
  for (const p of [...files, 'columns.ts', '../migrate.ts'].map((f) => path.join(migrationsDir, f))) {
    if (existsSync(p)) hash.update(p).update(readFileSync(p));
  }
  return { key: hash.digest('hex').slice(0, 12), migrations: files.map((f) => f.replace(/\.ts$/, '')) };
}

export async function ensureSeeded(taskCount: number, reseed: boolean, log: (line: string) => void): Promise<SeedInfo> {
  const { key, migrations } = schemaKey(taskCount);
  const dir = path.join(tmpdir(), `taskd-bench-seed-${taskCount}-${key}`);
  const infoFile = path.join(dir, 'seed-info.json');
  if (!reseed && existsSync(infoFile)) {
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as SeedInfo;
    log(`Reusing the seeded database in ${dir} (schema ${migrations.join(', ')}); --reseed forces a new one.`);
    return { ...info, dir, reused: true };
  }
  rmSync(dir, { recursive: true, force: true });
  // Caches of the same size made for an older schema are of no further use.
  for (const old of readdirSync(tmpdir()).filter((d) => d.startsWith(`taskd-bench-seed-${taskCount}-`))) {
    rmSync(path.join(tmpdir(), old), { recursive: true, force: true });
    log(`Removed the seeded database of an older schema: ${path.join(tmpdir(), old)}`);
  }
  log(`Seeding ${taskCount.toLocaleString('en-US')} tasks into ${dir} (schema ${migrations.join(', ')}) ...`);
  const started = Date.now();
  // openStore migrates; the defaults (feature flags, default quota) and the admin are what taskd
  // itself would create on first start.
  const store = await openStore({ dataDir: dir });
  try {
    await seedDefaults(store.db);
    await ensureAdminUser(store.db, ADMIN_PASSWORD, { dataDir: dir, policy: { passwordMinLength: 12, passwordMaxLength: 1024 } });
  } finally {
    await store.close();
  }
  const developerHash = await hashPassword(DEVELOPER.password);
  const info = bulkInsert(path.join(dir, 'taskd.db'), taskCount, developerHash, log);
  const seconds = (Date.now() - started) / 1000;
  const result: SeedInfo = { ...info, dir, reused: false, seconds, bytes: statSync(path.join(dir, 'taskd.db')).size };
  writeFileSync(infoFile, JSON.stringify(result, null, 2));
  log(`Seeded in ${seconds.toFixed(1)} s (${(result.bytes / 1e6).toFixed(0)} MB).`);
  return result;
}

/** A working copy of the seeded database for one run. */
export function copySeed(seedDir: string, runDir: string): void {
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  copyFileSync(path.join(seedDir, 'taskd.db'), path.join(runDir, 'taskd.db'));
}

const COMMANDS = [
  'bin/rake db:migrate',
  'python manage.py clearsessions',
  'node scripts/reindex.js --batch 500',
  './bin/report --since yesterday --format csv > /tmp/report.csv',
  'bundle exec rake cache:warm',
  'php artisan queue:work --once',
];
const NAMES = ['migrate', 'reindex', 'nightly-report', 'cache-warm', 'cleanup', 'backfill'];
const LABEL_VALUES = ['prod', 'staging', 'dev'];

type SeedCounts = Omit<SeedInfo, 'dir' | 'reused' | 'seconds' | 'bytes'>;

function bulkInsert(file: string, taskCount: number, developerHash: string, log: (line: string) => void): SeedCounts {
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  // A lost seed is simply reseeded, so skip the durability work while loading.
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  db.pragma('temp_store = MEMORY');
  // Deterministic, so every seed of the same size holds the same mix.
  const random = seededRandom(20240601);
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const nowIso = iso(now);

  const quotaId = (db.prepare(`select id from quotas where kind = 'organization' and name = 'default'`).get() as { id: number }).id;
  const admin = db.prepare(`select guid from users where username = 'admin'`).get() as { guid: string };

  const apps: { id: number; guid: string; spaceId: number; orgId: number; dropletGuid: string; nextSeq: number }[] = [];
  const spaces: { id: number; guid: string; orgId: number }[] = [];
  let orgGuid = '';
  db.transaction(() => {
    const insOrg = db.prepare(
      `insert into organizations (guid, name, suspended, status, quota_id, created_at, updated_at) values (?, ?, 0, 'active', ?, ?, ?)`,
    );
    const insSpace = db.prepare(
      `insert into spaces (guid, name, organization_id, quota_id, status, created_at, updated_at) values (?, ?, ?, null, 'active', ?, ?)`,
    );
    const insApp = db.prepare(
      `insert into apps (guid, name, space_id, state, lifecycle_type, stack, lifecycle_data, environment_variables, current_droplet_id, next_task_sequence_id, created_at, updated_at)
       values (?, ?, ?, 'STOPPED', 'buildpack', 'cflinuxfs4', '{"buildpacks":[],"stack":"cflinuxfs4"}', '{}', null, 1, ?, ?)`,
    );
    const insDroplet = db.prepare(
      `insert into droplets (guid, app_id, state, error, process_types, execution_metadata, checksum_sha256, created_at, updated_at)
       values (?, ?, 'STAGED', null, '{"web":"bundle exec rackup"}', '', ?, ?, ?)`,
    );
    const setDroplet = db.prepare(`update apps set current_droplet_id = ? where id = ?`);
    const insProcess = db.prepare(
      `insert into processes (guid, app_id, type, command, user, instances, memory_in_mb, disk_in_mb, log_rate_limit, created_at, updated_at)
       values (?, ?, 'web', null, null, 1, 1024, 1024, -1, ?, ?)`,
    );
    const created = iso(now - 40 * DAY_MS);
    for (let o = 0; o < ORGS; o++) {
      const og = randomUUID();
      if (o === 0) orgGuid = og;
      const orgId = Number(insOrg.run(og, `bench-org-${o + 1}`, quotaId, created, created).lastInsertRowid);
      for (let s = 0; s < SPACES_PER_ORG; s++) {
        const sg = randomUUID();
        const spaceId = Number(insSpace.run(sg, `space-${s + 1}`, orgId, created, created).lastInsertRowid);
        spaces.push({ id: spaceId, guid: sg, orgId });
        for (let a = 0; a < APPS_PER_SPACE; a++) {
          const ag = randomUUID();
          const appId = Number(insApp.run(ag, `app-${a + 1}`, spaceId, created, created).lastInsertRowid);
          const dg = randomUUID();
          const dropletId = Number(
            insDroplet.run(dg, appId, createHash('sha256').update(dg).digest('hex'), created, created).lastInsertRowid,
          );
          setDroplet.run(dropletId, appId);
          insProcess.run(ag, appId, created, created);
          apps.push({ id: appId, guid: ag, spaceId, orgId, dropletGuid: dg, nextSeq: 1 });
        }
      }
    }
    // The developer: organization_user of the first org, space_developer of its first space.
    const devId = Number(
      db
        .prepare(
          `insert into users (guid, username, origin, password_hash, scopes, created_at, updated_at) values (?, ?, 'uaa', ?, '', ?, ?)`,
        )
        .run(randomUUID(), DEVELOPER.username, developerHash, nowIso, nowIso).lastInsertRowid,
    );
    const insRole = db.prepare(
      `insert into roles (guid, type, user_id, organization_id, space_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)`,
    );
    insRole.run(randomUUID(), 'organization_user', devId, spaces[0].orgId, null, nowIso, nowIso);
    insRole.run(randomUUID(), 'space_developer', devId, null, spaces[0].id, nowIso, nowIso);
    db.prepare(
      `insert into runners (id, hostname, pid, slots, started_at, heartbeat_at) values (?, 'bench-seed', 0, 0, ?, '9999-12-31T23:59:59.999Z')`,
    ).run(SEEDED_RUNNER_ID, nowIso);
  })();

  const insTask = db.prepare(
    `insert into tasks (guid, app_id, space_id, organization_id, sequence_id, name, command, user, state, memory_in_mb, disk_in_mb, log_rate_limit,
       droplet_guid, failure_reason, exit_status, timeout_seconds, created_by, runner_id, started_at, finished_at, cancel_requested_at, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, null, ?, ?, 1024, -1, ?, ?, ?, null, ?, ?, ?, ?, null, ?, ?)`,
  );
  const insLabel = db.prepare(
    `insert into metadata (resource_kind, resource_id, metadata_kind, key_prefix, key_name, value) values ('task', ?, 'label', '', 'env', ?)`,
  );
  const states: Record<string, number> = {};
  let labelled = 0;
  let developerSpaceTasks = 0;
  // created_at spread evenly over the last 30 days, in insertion order (as real rows would be).
  const span = 30 * DAY_MS;
  const first = now - span;
  const step = span / taskCount;
  const insertBatch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const app = apps[Math.floor(random() * apps.length)];
      const r = random();
      // ~72% SUCCEEDED, ~25% FAILED, ~1% RUNNING in the recent past, the rest cancelled (FAILED).
      const created = first + i * step;
      const recent = i >= taskCount - taskCount / 100;
      const state = recent && r < 0.5 ? 'RUNNING' : r < 0.73 ? 'SUCCEEDED' : 'FAILED';
      const cancelled = state === 'FAILED' && r > 0.97;
      const startedAt = created + 200 + Math.floor(random() * 800);
      const finishedAt = state === 'RUNNING' ? null : startedAt + Math.floor(random() * 600_000);
      const failure = state !== 'FAILED' ? null : cancelled ? 'task was cancelled' : 'Exited with status 1';
      const exitStatus = state === 'SUCCEEDED' ? 0 : state === 'FAILED' && !cancelled ? 1 : null;
      const guid = randomUUID();
      const k = Math.floor(random() * NAMES.length);
      const info = insTask.run(
        guid,
        app.id,
        app.spaceId,
        app.orgId,
        app.nextSeq++,
        `${NAMES[k]}-${(i % 997).toString(16)}`,
        COMMANDS[k],
        state,
        [256, 512, 1024][i % 3],
        app.dropletGuid,
        failure,
        exitStatus,
        admin.guid,
        state === 'RUNNING' ? SEEDED_RUNNER_ID : null,
        iso(startedAt),
        finishedAt === null ? null : iso(finishedAt),
        iso(created),
        iso(finishedAt ?? startedAt),
      );
      states[state] = (states[state] ?? 0) + 1;
      if (app.spaceId === spaces[0].id) developerSpaceTasks++;
      if (i % 5 === 0) {
        insLabel.run(Number(info.lastInsertRowid), LABEL_VALUES[Math.floor(random() * LABEL_VALUES.length)]);
        labelled++;
      }
    }
  });
  const t0 = Date.now();
  for (let from = 0; from < taskCount; from += BATCH) {
    insertBatch(from, Math.min(taskCount, from + BATCH));
    const done = Math.min(taskCount, from + BATCH);
    if (done % (BATCH * 4) === 0 || done === taskCount) {
      const rate = done / ((Date.now() - t0) / 1000);
      log(`  ${done.toLocaleString('en-US')} tasks (${Math.round(rate).toLocaleString('en-US')} rows/s)`);
    }
  }
  const sampleTaskGuid = (db.prepare('select guid from tasks where id = ?').get(Math.ceil(taskCount / 2)) as { guid: string }).guid;
  const setSeq = db.prepare(`update apps set next_task_sequence_id = ? where id = ?`);
  db.transaction(() => {
    for (const app of apps) setSeq.run(app.nextSeq, app.id);
  })();
  // No ANALYZE here: the planner gets only the statistics taskd itself would have gathered.
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { tasks: taskCount, labelled, states, developerSpaceGuid: spaces[0].guid, developerSpaceTasks, orgGuid, sampleTaskGuid };
}
