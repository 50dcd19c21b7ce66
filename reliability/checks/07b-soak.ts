// Soak: a steady create rate of short tasks with some output for ten minutes (20 s quick). What
// must hold: every task created ends (SUCCEEDED), taskd's memory is flat after warm-up (the mean
// RSS of the last minute at most 30% above that at minute two, scaled down for the quick size,
// and so its live heap after full garbage collections),
// and taskd's event loop delay p99 over the run stays under 20 ms.
import { FailureLog, percentile, type CheckOptions, type CheckReport, type ReliabilityCheck } from '../check.js';
import { cpuSeconds, delayBetween, formatBound, machineLoad, MB, MemorySampler, Probe } from '../disk/measure.js';
import { onFreshTaskd } from '../disk/taskd-server.js';
import { sleep } from '../support/taskd-process.js';

const TASKS_PER_SECOND = 5;
const LIVE_HEAP = 'taskd_process_heap_live_bytes';
/** A short task with some output: twenty lines. */
const COMMAND = 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo "soak line $i of $TASKD_TASK_GUID"; done';

export async function runSoak(options: CheckOptions): Promise<CheckReport> {
  const failures = new FailureLog();
  const figures: CheckReport['figures'] = {};
  const durationMs = options.quick ? 20_000 : 600_000;
  // Memory is compared after warm-up: minute two, or a fifth of the way into a short run.
  const warmMs = options.quick ? 4_000 : 120_000;
  const windowMs = options.quick ? 4_000 : 60_000;
  const created: string[] = [];
  let createFailures = 0;
  await onFreshTaskd('taskd-soak-', failures, async (server) => {
    const app = await server.runnableApp('soak');
    const metricsBefore = await server.metrics();
    const sampler = new MemorySampler(server);
    const probe = new Probe(server, 250);
    const started = performance.now();
    const cpuBefore = cpuSeconds(server.pid);
    // taskd's live heap (what its latest full garbage collection left), scraped now and then:
    // growth there is taskd's own objects piling up, where RSS also grows as the allocator and
    // SQLite's caches warm up to their working size.
    const heap: { at: number; bytes: number }[] = [];
    const heapTimer = setInterval(() => {
      const at = performance.now() - started;
      server.metrics().then(
        (m) => m.has(LIVE_HEAP) && heap.push({ at, bytes: m.get(LIVE_HEAP)! }),
        () => {},
      );
    }, windowMs / 12);
    const liveHeap = (from: number, to: number) => {
      const window = heap.filter((h) => h.at >= from && h.at < to).map((h) => h.bytes);
      return window.length ? window.reduce((a, b) => a + b, 0) / window.length : NaN;
    };
    // Creates on a fixed schedule, each on its own (a slow answer does not hold the next back).
    const inFlight = new Set<Promise<void>>();
    for (let n = 0; ; n++) {
      const due = started + (n * 1000) / TASKS_PER_SECOND;
      if (due - started >= durationMs) break;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const create = server
        .createTask(app, COMMAND)
        .then((res) => {
          if (res.status === 202) created.push(res.body.guid);
          else if (createFailures++ < 3) failures.add(`create answered ${res.status}: ${res.text.slice(0, 200)}`);
        })
        .catch((err: Error) => {
          if (createFailures++ < 3) failures.add(`create failed: ${err.message}`);
        });
      inFlight.add(create);
      void create.finally(() => inFlight.delete(create));
      if (n % (TASKS_PER_SECOND * 60) === 0 && n)
        options.log(
          `${n} creates, ${((performance.now() - started) / 1000).toFixed(0)} s, taskd RSS ${(sampler.max('taskd', performance.now() - started - 5000) / MB).toFixed(0)} MB`,
        );
    }
    await Promise.all(inFlight);
    const end = performance.now() - started;
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    await probe.stop();
    sampler.stop();
    clearInterval(heapTimer);
    const metricsAfter = await server.metrics();

    // Every task ends: all of them SUCCEEDED, each with its twenty lines.
    const states = new Map<string, number>();
    let unfinished = 0;
    for (const guid of created) {
      const task = await server.finalTask(guid, 60_000);
      const state = task?.state ?? 'not final';
      states.set(state, (states.get(state) ?? 0) + 1);
      if (!task) unfinished++;
      else if (task.state !== 'SUCCEEDED') failures.add(`task ${guid} ended ${task.state}: ${task.result?.failure_reason}`);
    }
    if (unfinished) failures.add(`${unfinished} of ${created.length} tasks not final a minute after the last create`);
    for (const guid of [created[0], created[Math.floor(created.length / 2)], created[created.length - 1]]) {
      if (!guid) continue;
      const log = await server.logOf(guid);
      if (!log.text.includes(`soak line 20 of ${guid}`))
        failures.add(`task ${guid}: its log lacks its output: ${log.status} ${log.text.slice(0, 200)}`);
    }

    const rssStart = sampler.mean('taskd', warmMs, warmMs + windowMs);
    const rssEnd = sampler.mean('taskd', end - windowMs, end + 1);
    const growth = rssEnd / rssStart - 1;
    const delay = delayBetween(metricsBefore, metricsAfter);
    figures['tasks created'] =
      `${created.length} in ${(end / 1000).toFixed(0)} s (${(created.length / (end / 1000)).toFixed(1)}/s); final: ${[...states].map(([s, n]) => `${s} ${n}`).join(', ')}`;
    figures['taskd RSS'] =
      `${(rssStart / MB).toFixed(0)} MB after warm-up, ${(rssEnd / MB).toFixed(0)} MB at the end (${(growth * 100).toFixed(1)}%), slope ${(sampler.slopePerMinute('taskd', warmMs) / MB).toFixed(2)} MB/min`;
    const heapStart = liveHeap(warmMs, warmMs + windowMs);
    const heapEnd = liveHeap(end - windowMs, end + 1);
    const heapGrowth = heapEnd / heapStart - 1;
    figures['taskd live heap (after a full garbage collection)'] = Number.isNaN(heapGrowth)
      ? 'not known: no full collection in a window'
      : `${(heapStart / MB).toFixed(1)} MB after warm-up, ${(heapEnd / MB).toFixed(1)} MB at the end (${(heapGrowth * 100).toFixed(1)}%)`;
    figures['supervisor RSS'] =
      `${(sampler.mean('supervisor', warmMs, warmMs + windowMs) / MB).toFixed(0)} MB after warm-up, ${(sampler.mean('supervisor', end - windowMs, end + 1) / MB).toFixed(0)} MB at the end`;
    figures['event loop delay'] =
      `p50 ${formatBound(delay.p50)}, p99 ${formatBound(delay.p99)}, max ${formatBound(delay.max)} (${delay.count} samples)`;
    figures['taskd CPU'] =
      `${cpu.toFixed(1)} s over ${(end / 1000).toFixed(0)} s (${((cpu / (end / 1000)) * 100).toFixed(0)}% of a core); ${machineLoad()}`;
    figures['probe latency'] = `p50 ${percentile(probe.latencies, 50).toFixed(1)} ms, p99 ${percentile(probe.latencies, 99).toFixed(1)} ms`;
    if (growth > 0.3)
      failures.add(
        `taskd's RSS grew ${(growth * 100).toFixed(0)}% after warm-up (${(rssStart / MB).toFixed(0)} → ${(rssEnd / MB).toFixed(0)} MB)`,
      );
    if (heapGrowth > 0.3)
      failures.add(
        `taskd's live heap grew ${(heapGrowth * 100).toFixed(0)}% after warm-up (${(heapStart / MB).toFixed(1)} → ${(heapEnd / MB).toFixed(1)} MB)`,
      );
    if (!(delay.p99 <= 0.02)) failures.add(`event loop delay p99 ${formatBound(delay.p99)} (bound 20 ms)`);
    for (const f of probe.failures.slice(0, 3)) failures.add(f);
    if (!server.alive) failures.add(`taskd exited:\n${server.log.slice(-2000)}`);
  });
  return {
    trials: created.length,
    failures: failures.all,
    checked: [
      `${TASKS_PER_SECOND} creates a second all answered 202, and every task ends SUCCEEDED with its output stored`,
      "taskd's RSS at the end at most 30% above its RSS after warm-up, and its live heap (after full garbage collections) too",
      "taskd's event loop delay p99 under 20 ms over the run",
    ],
    figures,
  };
}

export const checks: ReliabilityCheck[] = [
  {
    name: 'soak',
    title: 'ten minutes of 5 short tasks a second: every task final, memory flat, event loop delay p99 under 20 ms',
    run: runSoak,
  },
];
