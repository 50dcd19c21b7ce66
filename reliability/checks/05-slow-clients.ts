// Check 5 of issue 8, "Slow clients": thousands of slowloris, slow-body and slow-read connections
// to a real taskd process on a real port, while a probe keeps making normal authenticated
// requests. The slow clients are a crowd (users of their own, each from an address of its own):
// one client alone meets its per-user and per-address limits first, which their own tests cover.
// What must hold: the probe is served without a failure (and, at full size, with p99
// under 100 ms), every slow connection is closed by taskd within its configured timeout, and
// taskd's memory does not grow with what the slow readers leave unread.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { FailureLog, percentile, type CheckOptions, type CheckReport, type ReliabilityCheck } from '../check.js';
import { Harness } from '../../test/support/harness.js';
import { seedTasks } from '../../test/support/tasks.js';
import { Probe } from '../slow/probe.js';
import { SLOW_KINDS, SlowConnection, type SlowKind } from '../slow/slow-connections.js';
import { serverHoldsOpen, serverSideStates } from '../slow/server-sockets.js';
import { storeEnv, TaskdProcess } from '../support/taskd-process.js';
import { defaultConfig } from '../../src/config.js';

interface Size {
  connections: number;
  rampMs: number;
  dripMs: number;
  /** taskd's timeouts for this run, in seconds. */
  headers: number;
  request: number;
  idle: number;
  keepAlive: number;
}

const FULL: Size = { connections: 2000, rampMs: 30_000, dripMs: 2000, headers: 5, request: 10, idle: 10, keepAlive: 5 };
// Small timeouts keep the quick version to seconds; the properties are the same.
const QUICK: Size = { connections: 200, rampMs: 3000, dripMs: 400, headers: 1, request: 2, idle: 2, keepAlive: 1 };

/**
 * Connections of each kind per slow client (a SpaceDeveloper of its own, connecting from
 * 127.0.1.<n>): its slow readers are then worked on at once. A user's answers are worked on a few
 * at a time (TASKD_ACTIVE_REQUESTS_PER_USER), each turn held until its answer is out of taskd, so
 * one user's slow readers would wait for each other's idle timeouts, by design: what one user's
 * unread answers hold in memory stays bounded.
 */
const PER_CLIENT = defaultConfig.activeRequestsPerUser;

/**
 * Tasks in the list the slow readers ask for (one page of them). Rendering a list costs taskd CPU
 * whoever asks; a page of this size keeps a thousand of them from being a CPU attack instead.
 */
const LIST_TASKS = 100;
const PROBE_EVERY_MS = 50;
const PROBE_P99_LIMIT_MS = 100;
/** Peak resident memory of taskd allowed during the attack. */
const RSS_LIMIT_BYTES = 1024 * 1024 * 1024;

const CHECKED = [
  'the probe (GET /v3/tasks, authenticated, steady rate) never fails while the slow clients hold their connections',
  `at full size the probe's p99 latency is under ${PROBE_P99_LIMIT_MS} ms`,
  'every slowloris connection is closed by taskd after the headers timeout, every slow body after the request timeout, every slow reader after the idle socket (or keep-alive) timeout (with slack for load, at full size)',
  'no slow connection is refused outright (taskd accepts them all, and still serves the probe)',
  `taskd's resident memory stays under ${RSS_LIMIT_BYTES / 2 ** 20} MiB during the attack`,
];

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const seconds = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/**
 * A slow reader's answer may fit in the kernel's socket buffers: then taskd's write completes, it
 * holds nothing, and the idle kept-alive connection ends after the keep-alive timeout. One larger
 * than that stalls taskd's write, and the idle socket timeout ends it. Either bounds it.
 */
/** CPU seconds (user + system) a process has used; clock ticks are 1/100 s on Linux. */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** This process's soft limit on open files (taskd, spawned from it, inherits it). */
function openFilesLimit(): number {
  try {
    return Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity);
  } catch {
    return Infinity;
  }
}

function timeoutOf(kind: SlowKind, size: Size): number {
  return (kind === 'slowloris' ? size.headers : kind === 'slow-body' ? size.request : Math.max(size.idle, size.keepAlive)) * 1000;
}

async function runSlowClients(options: CheckOptions): Promise<CheckReport> {
  const wanted = options.quick ? QUICK : FULL;
  // Each slow connection is one descriptor here and one in taskd: stay under `ulimit -n` (with
  // room for taskd's own files and the probe) rather than fail on EMFILE, and say so.
  const size = { ...wanted, connections: Math.min(wanted.connections, openFilesLimit() - 256) };
  const failures = new FailureLog();
  const figures: Record<string, string | number> = {};
  const h = new Harness('sqlite', { runnerSlots: 0 });
  let taskd: TaskdProcess | undefined;
  const slow: SlowConnection[] = [];
  try {
    await h.start();
    const org = await h.org();
    const space = await h.space(org.guid);
    const app = await h.app(space.guid);
    await seedTasks(
      h,
      app.guid,
      Array.from({ length: LIST_TASKS }, () => ({})),
    );
    // Its output to a file, not a pipe: this busy process draining it late would stall taskd.
    taskd = await TaskdProcess.start(h.config.dataDir, {
      logFile: path.join(h.config.dataDir, `taskd-${Date.now()}.log`),
      env: storeEnv(h, {
        TASKD_RUNNER_SLOTS: '0',
        TASKD_HEADERS_TIMEOUT_SECONDS: String(size.headers),
        TASKD_REQUEST_TIMEOUT_SECONDS: String(size.request),
        TASKD_IDLE_SOCKET_TIMEOUT_SECONDS: String(size.idle),
        TASKD_KEEP_ALIVE_TIMEOUT_SECONDS: String(size.keepAlive),
      }),
    });
    const { port } = taskd;
    const base = `http://127.0.0.1:${port}`;
    const largeListPath = `/v3/tasks?per_page=${LIST_TASKS}`;
    const token = h.admin.token;

    // Warm up (the first requests compile and cache), and size the slow readers' answer.
    const large = await fetch(`${base}${largeListPath}`, { headers: { authorization: `bearer ${token}` } });
    figures['slow-read answer size'] = `${((await large.arrayBuffer()).byteLength / 1024).toFixed(0)} KiB (${LIST_TASKS} tasks)`;
    for (let i = 0; i < 20; i++) await fetch(`${base}/v3/tasks`, { headers: { authorization: `bearer ${token}` } }).then((r) => r.text());
    const rssBefore = rssOf(taskd.pid);
    let rssPeak = rssBefore;

    // The probe alone first: what this machine gives it with no slow client at all (a shared
    // machine under load gives less than 100 ms whatever taskd does).
    const baseline = new Probe(`${base}/v3/tasks`, token, PROBE_EVERY_MS);
    await baseline.start();
    await sleep(options.quick ? 1000 : 5000);
    const calm = await baseline.stop();
    figures['probe latency p50 / p99 with no slow client'] =
      `${calm.p50Ms.toFixed(1)} / ${calm.p99Ms.toFixed(1)} ms (${calm.requests} requests)`;
    for (const f of calm.failures.slice(0, 5)) failures.add(`with no slow client: ${f}`);
    const loadAtStart = loadavg()[0]!;
    const cpuAtStart = cpuSecondsOf(taskd.pid);

    const probe = new Probe(`${base}/v3/tasks`, token, PROBE_EVERY_MS);
    await probe.start();
    const attackers = [];
    const clients = Math.ceil(size.connections / (SLOW_KINDS.length * PER_CLIENT));
    for (let n = 1; n <= clients; n++) {
      const user = await h.user();
      await h.role('space_developer', user.guid, { space: space.guid });
      attackers.push({ port, token: user.token, localAddress: `127.0.1.${n}`, largeListPath, dripMs: size.dripMs });
    }
    options.log(
      `opening ${size.connections} slow connections over ${size.rampMs / 1000} s (timeouts: headers ${size.headers} s, request ${size.request} s, idle ${size.idle} s, keep-alive ${size.keepAlive} s)`,
    );
    const started = performance.now();
    const longest = Math.max(size.headers, size.request, size.idle) * 1000;
    const deadline = started + size.rampMs + longest * 3 + 10_000;
    let opened = 0;
    while (performance.now() < deadline) {
      // Open the next share of the ramp; kinds take turns, so each runs the whole while.
      const due = Math.min(size.connections, Math.ceil(((performance.now() - started) / size.rampMs) * size.connections));
      // One of each kind by each client in turn.
      for (; opened < due; opened++) {
        const client = attackers[Math.floor(opened / SLOW_KINDS.length) % attackers.length]!;
        slow.push(new SlowConnection(SLOW_KINDS[opened % SLOW_KINDS.length]!, client));
      }
      const states = serverSideStates(port);
      const now = performance.now();
      for (const c of slow) if (c.open && c.clientPort !== undefined && !serverHoldsOpen(states, c.clientPort)) c.sawClosed(now);
      rssPeak = Math.max(rssPeak, rssOf(taskd.pid));
      if (opened === size.connections && slow.every((c) => !c.open)) break;
      await sleep(200);
    }
    const attackSeconds = (performance.now() - started) / 1000;
    const cpuUsed = cpuSecondsOf(taskd.pid) - cpuAtStart;
    // The probe goes on a moment after the last slow connection is gone.
    await sleep(1000);
    const result = await probe.stop();
    await sleep(2000);
    const rssAfter = rssOf(taskd.pid);

    for (const kind of SLOW_KINDS) {
      const ofKind = slow.filter((c) => c.kind === kind);
      const refused = ofKind.filter((c) => c.error !== undefined);
      const stillOpen = ofKind.filter((c) => c.open);
      const held = ofKind.map((c) => c.heldMs).filter((ms): ms is number => ms !== undefined);
      const timeout = timeoutOf(kind, size);
      // Node checks expired headers and requests about once a second; the poll adds 0.2 s.
      const allowed = timeout + Math.max(3000, timeout / 2);
      figures[`${kind}: connections`] = `${ofKind.length} (${refused.length} refused, ${stillOpen.length} still open at the end)`;
      figures[`${kind}: closed by taskd after p50 / max`] =
        `${seconds(percentile(held, 50))} / ${seconds(Math.max(...held))} (timeout ${timeout / 1000} s)`;
      const answers = new Map<string, number>();
      for (const c of ofKind) if (c.answer) answers.set(c.answer, (answers.get(c.answer) ?? 0) + 1);
      if (answers.size) figures[`${kind}: answered`] = [...answers].map(([line, n]) => `${n}× ${line}`).join(', ');
      for (const c of refused.slice(0, 3)) failures.add(`${kind}: connection refused: ${c.error}`);
      if (stillOpen.length)
        failures.add(
          `${kind}: ${stillOpen.length} connections still open ${attackSeconds.toFixed(0)} s after the attack began (timeout ${timeout / 1000} s)`,
        );
      const late = held.filter((ms) => ms > allowed);
      if (!options.quick && late.length)
        failures.add(`${kind}: ${late.length} connections held longer than ${seconds(allowed)} (max ${seconds(Math.max(...late))})`);
    }
    figures['probe requests'] = `${result.requests} (${result.failures.length} failed)`;
    figures['probe latency p50 / p99 / max'] = `${result.p50Ms.toFixed(1)} / ${result.p99Ms.toFixed(1)} / ${result.maxMs.toFixed(1)} ms`;
    figures['taskd RSS before / peak during / after'] = `${mib(rssBefore)} / ${mib(rssPeak)} / ${mib(rssAfter)}`;
    if (size.connections < wanted.connections) figures['connections (fewer: ulimit -n)'] = `${size.connections} of ${wanted.connections}`;
    figures['attack duration'] = `${attackSeconds.toFixed(1)} s`;
    // How much CPU serving all this took, against how long it took: when taskd got far less than
    // a core, its latencies are the machine's, not its own.
    figures['taskd CPU used during the attack'] = `${cpuUsed.toFixed(1)} s in ${attackSeconds.toFixed(1)} s`;
    figures['machine load average (1 min) at start / end'] =
      `${loadAtStart.toFixed(1)} / ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;
    for (const f of result.failures.slice(0, 10)) failures.add(f);
    if (!options.quick && result.p99Ms >= PROBE_P99_LIMIT_MS)
      failures.add(`probe p99 ${result.p99Ms.toFixed(1)} ms is not under ${PROBE_P99_LIMIT_MS} ms`);
    if (rssPeak > RSS_LIMIT_BYTES) failures.add(`taskd's RSS reached ${mib(rssPeak)} during the attack`);
    return { trials: slow.length + result.requests + calm.requests, failures: failures.all, checked: CHECKED, figures };
  } finally {
    for (const c of slow) c.destroy();
    await taskd?.stop(10_000);
    await h.stop();
  }
}

export const checks: ReliabilityCheck[] = [
  {
    name: 'slow-clients',
    title: 'slowloris, slow-body and slow-read connections by the thousand while a probe is served',
    run: runSlowClients,
  },
];
