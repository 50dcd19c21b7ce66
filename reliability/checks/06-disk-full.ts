// Disk full: taskd's whole data directory (SQLite database, droplets, supervisor spools, task
// working directories) on a small filesystem of its own, filled up while tasks run. What must
// hold: creates and uploads fail with a clean CF error (503 CF-ServiceUnavailable, no stack, no
// half-written row, no partial droplet), running tasks run on or end with a truthful reason,
// taskd stays up, the database passes its integrity check with no task lost, and once space is
// freed taskd recovers by itself — creates succeed, tasks run and their logs are stored.
import Database from 'better-sqlite3';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FailureLog, skippedReport, type CheckOptions, type CheckReport, type ReliabilityCheck } from '../check.js';
import { fillUp, mountSmallFilesystem, type SmallFilesystem } from '../disk/small-filesystem.js';
import { TaskdServer, type HttpAnswer } from '../disk/taskd-server.js';
import { sleep } from '../support/taskd-process.js';

const FS_MB = 64;
/** A long task printing steadily: a line every 50 ms. */
const steadyTask = (seconds: number) => `i=0; while [ $i -lt ${seconds * 20} ]; do echo "tick $i"; i=$((i+1)); sleep 0.05; done`;

/** The clean answer to a write that found the disk full: CF's envelope, 503, and words, not a stack. */
function cleanFullError(res: HttpAnswer): string | undefined {
  const err = res.body?.errors?.[0];
  if (res.status !== 503) return `status ${res.status}`;
  if (!err || err.title !== 'CF-ServiceUnavailable' || err.code !== 10015)
    return `not a CF-ServiceUnavailable envelope: ${res.text.slice(0, 200)}`;
  if (/\bat .*:\d+:\d+|SQLITE_|ENOSPC|node_modules/.test(res.text)) return `internals leaked: ${res.text.slice(0, 200)}`;
  return undefined;
}

export async function runDiskFull(options: CheckOptions): Promise<CheckReport> {
  let fs: SmallFilesystem;
  try {
    fs = mountSmallFilesystem(FS_MB);
  } catch (err) {
    return skippedReport((err as Error).message);
  }
  const failures = new FailureLog();
  const figures: CheckReport['figures'] = {};
  const errorsSeen = new Map<string, number>();
  const seen = (what: string) => errorsSeen.set(what, (errorsSeen.get(what) ?? 0) + 1);
  let trials = 0;
  const dataDir = path.join(fs.dir, 'data');
  let taskd: TaskdServer | undefined;
  const acknowledged = new Set<string>();
  try {
    // Tasks ask for little disk: as root each gets a filesystem of its own, preallocated on this small one.
    taskd = await TaskdServer.start(dataDir, { TASKD_DEFAULT_DISK_IN_MB: '2' });
    const app = await taskd.runnableApp('diskfull');
    const longSeconds = options.quick ? 8 : 40;
    // Full: longer than the runner's 15 s heartbeat lease at full size, which taskd must survive too.
    const fullForMs = options.quick ? 2_000 : 20_000;
    const created = acknowledged;
    const long: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await taskd.createTask(app, steadyTask(longSeconds));
      if (res.status !== 202) throw new Error(`creating a long task before the fill: ${res.status} ${res.text}`);
      long.push(res.body.guid);
      created.add(res.body.guid);
    }
    // Droplets made now, their bits uploaded while the disk is full.
    const uploads = options.quick ? 2 : 6;
    const awaiting: string[] = [];
    for (let i = 0; i < uploads; i++) {
      const droplet = await taskd.post('/v3/droplets', { relationships: { app: { data: { guid: app } } } });
      if (droplet.status !== 201) throw new Error(`creating a droplet before the fill: ${droplet.status} ${droplet.text}`);
      awaiting.push(droplet.body.guid);
    }
    await sleep(1000);

    // Full: every byte taken.
    const filler = path.join(fs.dir, 'filler');
    const filled = fillUp(filler);
    const fullSince = performance.now();
    options.log(`filled the ${FS_MB} MB filesystem: ${(filled / 2 ** 20).toFixed(1)} MB taken, ${fs.freeBytes()} bytes left`);
    const creates = options.quick ? 6 : 30;
    for (let i = 0; i < creates; i++) {
      trials++;
      // Some output, so a task that does run has something to store.
      const res = await taskd.createTask(app, `echo while-full-${i}`);
      if (res.status === 202) {
        seen('create 202 (fit)');
        created.add(res.body.guid);
        continue;
      }
      const unclean = cleanFullError(res);
      seen(`create ${res.status} ${res.body?.errors?.[0]?.title ?? ''}`.trim());
      if (unclean) failures.add(`create ${i} while full: ${unclean}`);
    }
    const failedDroplets: string[] = [];
    // A new droplet (its row) while full: the same clean answer is due.
    const newDroplet = await taskd.post('/v3/droplets', { relationships: { app: { data: { guid: app } } } });
    trials++;
    seen(`droplet create ${newDroplet.status} ${newDroplet.body?.errors?.[0]?.title ?? ''}`.trim());
    if (newDroplet.status !== 201 && cleanFullError(newDroplet)) failures.add(`droplet create while full: ${cleanFullError(newDroplet)}`);
    for (const [i, dropletGuid] of awaiting.entries()) {
      trials++;
      const upload = await taskd.uploadBits(dropletGuid);
      seen(`upload ${upload.status} ${upload.body?.errors?.[0]?.title ?? ''}`.trim());
      if (upload.status === 202) {
        const droplet = await taskd.settledDroplet(dropletGuid);
        seen(`upload processed: droplet ${droplet.state}`);
        if (droplet.state === 'FAILED') {
          failedDroplets.push(dropletGuid);
          if (!droplet.error || /SQLITE_|ENOSPC|\bat .*:\d+/.test(droplet.error))
            failures.add(`upload ${i}: droplet FAILED without a clear reason: ${droplet.error}`);
        }
      } else {
        const unclean = cleanFullError(upload);
        if (unclean) failures.add(`upload ${i} while full: ${unclean}`);
        failedDroplets.push(dropletGuid);
      }
    }
    // No partial droplet: a droplet that did not stage has no bits, and nothing waits half-received.
    const dropletsDir = path.join(dataDir, 'droplets');
    for (const guid of failedDroplets)
      if (existsSync(path.join(dropletsDir, guid))) failures.add(`droplet ${guid} did not stage but has bits in ${dropletsDir}`);
    const incoming = path.join(dropletsDir, '.incoming');
    if (existsSync(incoming) && readdirSync(incoming).length)
      failures.add(`partial uploads left in ${incoming}: ${readdirSync(incoming).join(', ')}`);
    const health = await taskd.get('/healthz').catch((err: Error) => ({ status: 0, text: err.message }) as HttpAnswer);
    if (health.status !== 200 || !taskd.alive) failures.add(`taskd not serving while the disk is full: ${health.status} ${health.text}`);
    await sleep(Math.max(0, fullSince + fullForMs - performance.now()));
    figures['disk full for'] = `${((performance.now() - fullSince) / 1000).toFixed(1)} s`;

    // Space again: taskd must recover by itself.
    const freedAt = performance.now();
    rmSync(filler);
    let firstCreateMs: number | undefined;
    let recoveredMs: number | undefined;
    for (let attempt = 0; recoveredMs === undefined && performance.now() - freedAt < 30_000; attempt++) {
      const res = await taskd.createTask(app, `echo recovered-${attempt}`);
      if (res.status !== 202) {
        seen(`create after freeing space ${res.status} ${res.body?.errors?.[0]?.title ?? res.text.slice(0, 80)}`);
        await sleep(100);
        continue;
      }
      created.add(res.body.guid);
      firstCreateMs ??= performance.now() - freedAt;
      const task = await taskd.finalTask(res.body.guid, 30_000);
      const log = await taskd.logOf(res.body.guid);
      if (task?.state === 'SUCCEEDED' && log.text.includes(`recovered-${attempt}`)) recoveredMs = performance.now() - freedAt;
      else
        failures.add(
          `after freeing space, task ${res.body.guid} ended ${task?.state} (${task?.result?.failure_reason}) with log ${log.status} ${log.text.slice(0, 200)}`,
        );
    }
    trials++;
    if (recoveredMs === undefined) failures.add('taskd did not recover within 30 s of freeing space (no task ran with its log stored)');
    // And uploads work again.
    const { upload, dropletGuid } = await taskd.uploadDroplet(app);
    trials++;
    if (upload.status !== 202 || (await taskd.settledDroplet(dropletGuid)).state !== 'STAGED')
      failures.add(`an upload after freeing space did not stage: ${upload.status} ${upload.text.slice(0, 200)}`);

    // The long tasks: ran on, or ended with a truthful reason.
    const stored: string[] = [];
    for (const guid of long) {
      const task = await taskd.finalTask(guid, (longSeconds + 30) * 1000);
      trials++;
      if (!task) failures.add(`long task ${guid} did not end`);
      else {
        seen(`long task ${task.state}${task.result?.failure_reason ? `: ${task.result.failure_reason}` : ''}`);
        if (task.state === 'FAILED' && !task.result?.failure_reason) failures.add(`long task ${guid} FAILED without a reason`);
        const log = await taskd.logOf(guid);
        if (log.status !== 200 || !log.text.includes('tick 0'))
          failures.add(`long task ${guid}: output before the fill not readable: ${log.status} ${log.text.slice(0, 200)}`);
        // Output printed while the disk was full waits for space rather than being lost.
        const ticks = new Set(log.text.match(/tick \d+/g) ?? []).size;
        stored.push(`${ticks}/${longSeconds * 20}`);
        if (task.state === 'SUCCEEDED' && ticks !== longSeconds * 20)
          failures.add(`long task ${guid} SUCCEEDED but its log holds ${ticks} of ${longSeconds * 20} lines`);
      }
    }
    // Every task acknowledged still exists, and each ends.
    for (const guid of created) {
      const task = await taskd.finalTask(guid, 30_000);
      if (!task) failures.add(`acknowledged task ${guid} is missing or never ended`);
    }
    if (!taskd.alive) failures.add(`taskd exited:\n${taskd.log.slice(-2000)}`);
    figures['recovery: first create accepted'] =
      firstCreateMs === undefined ? 'never' : `${firstCreateMs.toFixed(0)} ms after freeing space`;
    figures['recovery: first task run with its log stored'] =
      recoveredMs === undefined ? 'never' : `${recoveredMs.toFixed(0)} ms after freeing space`;
    figures['tasks acknowledged'] = created.size;
    figures['long tasks: lines stored of lines printed'] = stored.join(', ');
  } catch (err) {
    failures.add(`the check could not go on: ${(err as Error).stack}\n${taskd?.log.slice(-3000) ?? ''}`);
  } finally {
    await taskd?.stop().catch(() => {});
    const integrity = databaseIntegrity(path.join(dataDir, 'taskd.db'));
    if (integrity !== 'ok') failures.add(`database integrity check: ${integrity}`);
    // A refused create leaves no row: the tasks stored are exactly those acknowledged.
    // Except those refused with TaskWorkersUnavailable (no runner's heartbeat within the lease):
    // CF commits those FAILED, keeping their sequence ids.
    const stored = storedTasks(path.join(dataDir, 'taskd.db'));
    const rows = stored.map((t) => t.guid);
    const unacknowledged = stored.filter((t) => !acknowledged.has(t.guid));
    const lost = [...acknowledged].filter((guid) => !rows.includes(guid));
    const noRunner = [...errorsSeen].filter(([what]) => what.includes('TaskWorkersUnavailable')).reduce((a, [, n]) => a + n, 0);
    const halfDone = unacknowledged.filter((t) => t.state !== 'FAILED' || t.failure_reason !== 'Unable to request task to be run');
    if (halfDone.length || unacknowledged.length > noRunner)
      failures.add(`task rows nobody was told of (half-done creates): ${unacknowledged.map((t) => `${t.guid} ${t.state}`).join(', ')}`);
    if (lost.length) failures.add(`acknowledged tasks missing from the database: ${lost.join(', ')}`);
    figures['database integrity'] = integrity;
    fs.unmount();
  }
  figures['answers seen'] = [...errorsSeen].map(([what, n]) => `${what} ×${n}`).join('; ');
  return {
    trials,
    failures: failures.all,
    checked: [
      'creates while the disk is full answer 202 or a clean 503 CF-ServiceUnavailable (no stack, no internals)',
      'uploads while full fail cleanly and leave no partial droplet or half-received upload',
      'running tasks run on or end with a failure reason; output from before the fill stays readable',
      'taskd keeps serving; every acknowledged task exists and ends',
      'after freeing space, without a restart: creates succeed, a task runs with its log stored, an upload stages',
      'the database passes PRAGMA integrity_check and holds exactly the acknowledged tasks (no half-written row, none lost)',
    ],
    figures,
  };
}

function storedTasks(file: string): { guid: string; state: string; failure_reason: string | null }[] {
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('select guid, state, failure_reason from tasks').all() as {
      guid: string;
      state: string;
      failure_reason: string | null;
    }[];
  } finally {
    db.close();
  }
}

function databaseIntegrity(file: string): string {
  if (!existsSync(file)) return 'no database file';
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

export const checks: ReliabilityCheck[] = [
  { name: 'disk-full', title: 'the data directory on a small filesystem filled up while tasks run, then freed', run: runDiskFull },
];
