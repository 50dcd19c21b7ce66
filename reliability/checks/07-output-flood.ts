// Output flood: a task writing 1 GB of output as fast as it can (100-character lines), once under
// a log rate limit and once with none (-1). What must hold: taskd's and its supervisor's memory
// stay bounded (the output is never held whole: taskd stops reading a task that prints faster
// than its lines are stored, and the task waits), taskd's event loop delay stays bounded and it
// keeps answering, and the task ends SUCCEEDED with its output stored (every line, unlimited) or
// dropped over the limit with the documented notice.
import Database from 'better-sqlite3';
import path from 'node:path';
import { FailureLog, percentile, type CheckOptions, type CheckReport, type ReliabilityCheck } from '../check.js';
import { cpuSeconds, delayBetween, formatBound, machineLoad, MB, MemorySampler, Probe } from '../disk/measure.js';
import { onFreshTaskd } from '../disk/taskd-server.js';

const LINE = 100;
/** The limited run's log rate limit: 1 MiB/s. */
const LIMIT = MB;
/** Resident memory taskd and the supervisor may grow by while a flood runs, whatever its size. */
const MAX_GROWTH = 200 * MB;

/** A shell command printing `lines` lines of LINE characters (99 'x' and a newline). */
const floodCommand = (lines: number) => `head -c ${lines * (LINE - 1)} /dev/zero | tr '\\0' x | fold -w ${LINE - 1}`;

interface StoredOutput {
  lines: number;
  bytes: number;
  notices: number;
}

function storedOutput(dataDir: string, guid: string): StoredOutput {
  const db = new Database(path.join(dataDir, 'taskd.db'), { readonly: true });
  try {
    const row = db
      .prepare(
        `select count(*) as lines, coalesce(sum(length(text) + 1), 0) as bytes,
           sum(case when text like 'taskd: output over the log rate limit%' then 1 else 0 end) as notices
         from task_log_lines where task_id = (select id from tasks where guid = ?)`,
      )
      .get(guid) as { lines: number; bytes: number; notices: number | null };
    return { lines: row.lines, bytes: row.bytes, notices: row.notices ?? 0 };
  } finally {
    db.close();
  }
}

export async function runOutputFlood(options: CheckOptions): Promise<CheckReport> {
  const failures = new FailureLog();
  const figures: CheckReport['figures'] = {};
  const lines = Math.floor((options.quick ? 50 * MB : 1024 * MB) / LINE);
  const bytes = lines * LINE;
  let trials = 0;
  // Output budgets above the flood: what is checked here is how taskd copes with output as fast as
  // a task can write it, all of it stored; the budgets have their own tests and the tenants check.
  const budgets = {
    TASKD_TASK_OUTPUT_MAX_LINES: String(lines),
    TASKD_TASK_OUTPUT_MAX_BYTES: String(bytes),
    TASKD_ORG_OUTPUT_MAX_MB: String(Math.ceil((2 * bytes) / MB)),
  };
  await onFreshTaskd(
    'taskd-flood-',
    failures,
    async (taskd, dataDir) => {
      const app = await taskd.runnableApp('flood');
      for (const limit of [LIMIT, -1]) {
        const name = limit === -1 ? 'unlimited' : `limit ${limit / MB} MiB/s`;
        trials++;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const metricsBefore = await taskd.metrics();
        const sampler = new MemorySampler(taskd);
        const probe = new Probe(taskd);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const baseline = { taskd: sampler.max('taskd'), supervisor: sampler.max('supervisor') };
        const started = performance.now();
        const cpuBefore = cpuSeconds(taskd.pid);
        const res = await taskd.createTask(app, floodCommand(lines), { log_rate_limit_in_bytes_per_second: limit });
        if (res.status !== 202) throw new Error(`create: ${res.status} ${res.text}`);
        // Generous: the unlimited flood is bound by how fast the store takes lines on a shared machine.
        const task = await taskd.finalTask(res.body.guid, options.quick ? 120_000 : 900_000);
        const seconds = (performance.now() - started) / 1000;
        const cpu = cpuSeconds(taskd.pid) - cpuBefore;
        await probe.stop();
        sampler.stop();
        const metricsAfter = await taskd.metrics();
        const delay = delayBetween(metricsBefore, metricsAfter);
        options.log(`${name}: task ${task?.state ?? 'not ended'} after ${seconds.toFixed(1)} s`);
        if (task?.state !== 'SUCCEEDED')
          failures.add(`${name}: task ${res.body.guid} ended ${task?.state ?? 'not at all'} ${task?.result?.failure_reason ?? ''}`);
        const stored = storedOutput(dataDir, res.body.guid);
        const growth = { taskd: sampler.max('taskd') - baseline.taskd, supervisor: sampler.max('supervisor') - baseline.supervisor };
        figures[`${name}: output`] =
          `${(bytes / MB).toFixed(0)} MB written, ${(stored.bytes / MB).toFixed(1)} MB stored (${stored.lines} lines) in ${seconds.toFixed(1)} s, ${(stored.bytes / MB / seconds).toFixed(1)} MB/s stored`;
        figures[`${name}: RSS max`] =
          `taskd ${(sampler.max('taskd') / MB).toFixed(0)} MB (+${(growth.taskd / MB).toFixed(0)}), supervisor ${(sampler.max('supervisor') / MB).toFixed(0)} MB (+${(growth.supervisor / MB).toFixed(0)})`;
        figures[`${name}: event loop delay`] =
          `p50 ${formatBound(delay.p50)}, p99 ${formatBound(delay.p99)}, max ${formatBound(delay.max)} (${delay.count} samples)`;
        figures[`${name}: taskd CPU`] =
          `${cpu.toFixed(1)} s over ${seconds.toFixed(1)} s (${((cpu / seconds) * 100).toFixed(0)}% of a core); ${machineLoad()}`;
        figures[`${name}: probe latency`] =
          `p99 ${percentile(probe.latencies, 99).toFixed(1)} ms, max ${Math.max(...probe.latencies).toFixed(1)} ms (${probe.latencies.length} probes)`;
        if (growth.taskd > MAX_GROWTH)
          failures.add(`${name}: taskd's RSS grew by ${(growth.taskd / MB).toFixed(0)} MB (bound ${MAX_GROWTH / MB} MB)`);
        if (growth.supervisor > MAX_GROWTH)
          failures.add(`${name}: the supervisor's RSS grew by ${(growth.supervisor / MB).toFixed(0)} MB (bound ${MAX_GROWTH / MB} MB)`);
        // Bounded, not fast: the machine is shared, so only a loop blocked for long counts.
        if (!(delay.p99 <= 0.1)) failures.add(`${name}: event loop delay p99 ${formatBound(delay.p99)} (bound 100 ms)`);
        for (const f of probe.failures.slice(0, 3)) failures.add(`${name}: ${f}`);
        if (!taskd.alive) throw new Error(`taskd exited:\n${taskd.log.slice(-2000)}`);
        if (limit === -1) {
          // Every line, stored once.
          if (stored.lines !== lines || stored.bytes !== bytes)
            failures.add(`${name}: ${stored.lines} lines (${stored.bytes} bytes) stored of ${lines} (${bytes})`);
        } else {
          // At most the limit (and its half-second burst) over the run, and the drop said in the log.
          const allowed = limit * (seconds + 0.5) * 1.05 + 64 * 1024;
          const taskBytes = stored.bytes - stored.notices * 120;
          if (taskBytes > allowed)
            failures.add(`${name}: ${taskBytes} bytes stored in ${seconds.toFixed(1)} s, over the limit (${allowed.toFixed(0)})`);
          if (!stored.notices)
            failures.add(`${name}: output was dropped but the log holds no "taskd: output over the log rate limit" notice`);
          const dropped =
            (metricsAfter.get('taskd_task_log_bytes_dropped_total') ?? 0) - (metricsBefore.get('taskd_task_log_bytes_dropped_total') ?? 0);
          figures[`${name}: bytes dropped (metric)`] = dropped;
          if (dropped <= 0) failures.add(`${name}: taskd_task_log_bytes_dropped_total did not grow`);
        }
      }
      const health = await taskd.get('/readyz');
      if (health.status !== 200) failures.add(`taskd not ready after the floods: ${health.status} ${health.text}`);
    },
    budgets,
  );
  return {
    trials,
    failures: failures.all,
    checked: [
      `taskd's and the supervisor's RSS grow by at most ${MAX_GROWTH / MB} MB while a task floods its output`,
      "taskd's event loop delay p99 stays under 100 ms and /healthz keeps answering",
      'the flooding task ends SUCCEEDED; unlimited: every line stored once; limited: no more than the limit stored, the drop noticed in the log and counted in /metrics',
    ],
    figures,
  };
}

export const checks: ReliabilityCheck[] = [
  { name: 'output-flood', title: 'a task writing 1 GB as fast as it can, with and without a log rate limit', run: runOutputFlood },
];
