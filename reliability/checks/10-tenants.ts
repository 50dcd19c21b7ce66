// Check 10, "Fair to every tenant" (issue 17): one taskd, run as users start it, shared by a quiet
// tenant and a noisy one, each an ordinary SpaceDeveloper of its own org and space, from its own
// address. First the quiet tenant alone measures its create→running and API latency on the idle
// server; then the noisy tenant does at once everything issue 17 found could take the service
// from others (thousands of live log streams, bursts of creates, long tasks filling the slots, a
// task flooding its output, droplet uploads and vSphere sessions in a loop, failed logins against
// the quiet user) while the quiet tenant measures again and a prober asks /healthz and /readyz
// every 100 ms. What must hold: the quiet tenant keeps its figures (p99 within 2× of idle, at
// full size), every probe and every quiet request is answered, the disk stays within the
// configured budgets, the quiet user can still log in, and the noisy tenant is refused with 429s,
// never with a server failure.
import { availableParallelism, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { FailureLog, percentile, skippedReport, type CheckOptions, type CheckReport, type ReliabilityCheck } from '../check.js';
import { sleep } from '../support/taskd-process.js';
import { supervisorPidOf } from '../../test/support/supervisor-pid.js';
import { diskAllowance, explicitSettings, limitLines, MiB, runnerSlots, scratchAllowance } from '../tenants/limits.js';
import { NoisyTenant, type NoisySize } from '../tenants/noisy.js';
import { QuietTenant, type Measured, type QuietPace } from '../tenants/quiet.js';
import { SharedTaskd, type DiskUse, type StoreKind } from '../tenants/server.js';
import { setUpTenant } from '../tenants/world.js';

interface Size {
  /** How long the quiet tenant measures alone, and beside the noisy one. */
  idleMs: number;
  noisyMs: number;
  /** A quiet task not ended this long after its create counts as never run. */
  waitRunningMs: number;
  /** Between one quiet task seen running and the next create. */
  gapMs: number;
  pace: QuietPace;
  noisy: Omit<NoisySize, 'longTasks'>;
  /**
   * The check's own safety net on a shared disk: past this much growth it cancels the flood and
   * stops the uploads (and says so), whatever taskd does.
   */
  safetyBytes: number;
}

const PACE: QuietPace = { pollMs: 100, apiEveryMs: 100, probeEveryMs: 100, timeoutMs: 10_000 };

const QUICK: Size = {
  idleMs: 5000,
  noisyMs: 10_000,
  waitRunningMs: 8000,
  gapMs: 100,
  pace: PACE,
  noisy: {
    streams: 700,
    streamsInFlight: 100,
    firstBurst: 200,
    burst: 50,
    burstEveryMs: 2000,
    floods: 1,
    dropletBytes: 8 * MiB,
    dropletsInFlight: 1,
    sessionsInFlight: 1,
    failedLoginEveryMs: 100,
  },
  safetyBytes: 1024 * MiB,
};

const FULL: Size = {
  idleMs: 30_000,
  noisyMs: 90_000,
  waitRunningMs: 30_000,
  gapMs: 100,
  pace: PACE,
  noisy: {
    streams: 10_500,
    streamsInFlight: 200,
    firstBurst: 600,
    burst: 100,
    burstEveryMs: 5000,
    floods: 1,
    dropletBytes: 8 * MiB,
    dropletsInFlight: 2,
    sessionsInFlight: 2,
    failedLoginEveryMs: 50,
  },
  safetyBytes: 3072 * MiB,
};

/** p99 under load may be twice the idle one, or the idle one plus this, whichever is more. */
const FLOOR_MS = 50;

const CHECKED = [
  "at full size, the quiet tenant's create→running p99 and API p99 beside the noisy tenant are within 2× of its idle figures (or idle + 50 ms, whichever is more: a few ms of wobble on a small machine is not a failure)",
  'every quiet task runs (none is left PENDING behind the noisy tenant), and every quiet request is answered 2xx: no 5xx, no reset, no timeout',
  'every /healthz and /readyz probe (every 100 ms, a new connection each) is answered 200',
  "the store and droplets grow by no more than the two orgs' output and droplet budgets (plus the store's overhead); the running tasks' disks take no more than the slots' disk_in_mb",
  'the quiet user can log in with its password, from its own address, during the attack and after, though the noisy tenant keeps failing logins as it',
  'the noisy tenant is refused with 429s (counted), and none of its requests is answered 5xx',
];

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'never');
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

function latencies(values: number[]): string {
  if (!values.length) return 'none';
  return `p50 ${ms(percentile(values, 50))}, p99 ${ms(percentile(values, 99))}, max ${ms(Math.max(...values))} (${values.length})`;
}

/** The bound beside the noisy tenant for a figure that was `idle` alone. */
const boundFor = (idle: number) => Math.max(2 * idle, idle + FLOOR_MS);

function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds every core of the machine spent busy so far (/proc/stat: all but idle and iowait). */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - fields[3]! - fields[4]!) / 100;
}

/** Where the machine's CPU went: taskd, its task supervisor, this check, and everything else (tasks, other users). */
class CpuShares {
  private readonly start: number[];
  private readonly began = performance.now();

  constructor(
    private readonly taskdPid: number,
    private readonly supervisorPid: () => number | undefined,
  ) {
    this.start = this.sample();
  }

  private sample(): number[] {
    const supervisor = this.supervisorPid();
    const self = process.cpuUsage();
    return [
      cpuSeconds(this.taskdPid),
      supervisor === undefined ? 0 : cpuSeconds(supervisor),
      (self.user + self.system) / 1e6,
      machineBusySeconds(),
    ];
  }

  toString(): string {
    const [taskd, supervisor, check, machine] = this.sample().map((v, i) => v - this.start[i]!);
    const other = machine! - taskd! - supervisor! - check!;
    const wall = (performance.now() - this.began) / 1000;
    return `taskd ${taskd!.toFixed(1)} s, its supervisor ${supervisor!.toFixed(1)} s, this check ${check!.toFixed(1)} s, all else ${other.toFixed(1)} s (tasks, other users) in ${wall.toFixed(1)} s on ${availableParallelism()} cores`;
  }
}

function residentBytes(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Samples the disk use (and taskd's memory) every second; past the safety net, stops the noisy tenant filling it. */
class DiskWatch {
  peak: DiskUse = { stored: 0, scratch: 0 };
  rssPeak = 0;
  trippedAt?: number;
  private running = true;
  private readonly done: Promise<void>;

  constructor(taskd: SharedTaskd, baseline: DiskUse, safetyBytes: number, onTrip: () => Promise<void>) {
    this.sample(baseline);
    this.done = (async () => {
      while (this.running) {
        this.sample(await taskd.diskUse());
        this.rssPeak = Math.max(this.rssPeak, residentBytes(taskd.pid));
        if (this.trippedAt === undefined && this.peak.stored - baseline.stored > safetyBytes) {
          this.trippedAt = this.peak.stored;
          await onTrip();
        }
        await sleep(1000);
      }
    })();
  }

  sample(use: DiskUse): void {
    this.peak = { stored: Math.max(this.peak.stored, use.stored), scratch: Math.max(this.peak.scratch, use.scratch) };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function runTenants(store: StoreKind, options: CheckOptions): Promise<CheckReport> {
  if (store === 'postgres' && !process.env.TASKD_TEST_PG_URL) return skippedReport('TASKD_TEST_PG_URL is not set: no PostgreSQL');
  const size = options.quick ? QUICK : FULL;
  const failures = new FailureLog();
  const figures: CheckReport['figures'] = {};
  const settings = explicitSettings(options.quick);
  for (const line of limitLines(settings)) {
    const at = line.indexOf(': ');
    figures[`limit: ${line.slice(0, at)}`] = line.slice(at + 2);
  }
  const slots = runnerSlots(settings);
  let trials = 0;
  let taskd: SharedTaskd | undefined;
  let quiet: QuietTenant | undefined;
  let noisy: NoisyTenant | undefined;
  try {
    const began = performance.now();
    const at = () => `${((performance.now() - began) / 1000).toFixed(1)} s`;
    taskd = await SharedTaskd.start(store, settings.env);
    const quietTenant = await setUpTenant(taskd, 'quiet');
    const noisyTenant = await setUpTenant(taskd, 'noisy');
    quiet = await QuietTenant.start(taskd.port, quietTenant, size.pace);
    await quiet.startProbes();

    // Warm-up, not counted: the first sandbox and the first requests of each kind cost more.
    await quiet.measure(1000, size.waitRunningMs, size.gapMs);
    options.log(`${at()}: the quiet tenant alone for ${size.idleMs / 1000} s`);
    const idle = await quiet.measure(size.idleMs, size.waitRunningMs, size.gapMs);
    const baseline = await taskd.diskUse();

    options.log(`${at()}: the noisy tenant beside it for ${size.noisyMs / 1000} s`);
    noisy = new NoisyTenant(noisyTenant, { ...size.noisy, longTasks: 2 * slots }, quietTenant.username);
    const filling = noisy;
    const watch = new DiskWatch(taskd, baseline, size.safetyBytes, () => filling.stopFilling());
    const dataDir = taskd.dataDir;
    const cpu = new CpuShares(taskd.pid, () => supervisorPidOf(dataDir));
    const loadBefore = loadavg()[0]!;
    await noisy.start();
    const busy = await quiet.measure(size.noisyMs, size.waitRunningMs, size.gapMs);
    const loginDuring = await quiet.login();
    const cpuUsed = String(cpu);
    options.log(`${at()}: the noisy tenant stops`);
    await noisy.stop();
    await watch.stop();
    const loginAfter = await quiet.login();
    const probed = await quiet.stopProbes();
    const final = await taskd.diskUse();
    watch.sample(final);
    const peak = watch.peak;

    // The quiet tenant: its figures alone and beside the noisy one.
    const report = (name: string, m: Measured) => {
      figures[`${name}: create→running`] = latencies(m.createToRunningMs);
      figures[`${name}: API (GET list, GET task)`] = latencies(m.apiMs);
      figures[`${name}: create request`] = latencies(m.createMs);
      figures[`${name}: requests, failed`] = `${m.requests}, ${m.failures.length}`;
      for (const f of m.failures.slice(0, 10)) failures.add(`quiet tenant, ${name}: ${f}`);
      if (m.failures.length > 10) failures.add(`quiet tenant, ${name}: … and ${m.failures.length - 10} more failed requests`);
      trials += m.requests;
    };
    report('quiet alone', idle);
    report('quiet beside noisy', busy);
    for (const [what, alone, beside] of [
      ['create→running', idle.createToRunningMs, busy.createToRunningMs],
      ['API', idle.apiMs, busy.apiMs],
    ] as const) {
      const idleP99 = percentile(alone, 99);
      const busyP99 = percentile(beside, 99);
      const bound = boundFor(idleP99);
      const held = busyP99 <= bound;
      figures[`quiet ${what} p99: alone → beside noisy (bound)`] =
        `${ms(idleP99)} → ${ms(busyP99)} (${ms(bound)}: 2× or +${FLOOR_MS} ms)${options.quick ? ', checked at full size only' : held ? '' : ' EXCEEDED'}`;
      if (!options.quick && !held)
        failures.add(`quiet ${what} p99 ${ms(busyP99)} beside the noisy tenant, bound ${ms(bound)} (alone ${ms(idleP99)})`);
      if (!beside.length) failures.add(`quiet ${what}: nothing measured beside the noisy tenant`);
    }

    // The probes.
    trials += probed.requests;
    figures['probes (/healthz, /readyz)'] = `${probed.requests}, ${probed.failures.length} not answered 200; ${latencies(probed.ms)}`;
    for (const f of probed.failures.slice(0, 10)) failures.add(`probe: ${f}`);

    // The disk.
    const allowance = diskAllowance(settings, 2);
    figures['stored (store, droplets): before the noisy tenant, peak, at the end'] =
      `${mib(baseline.stored)}, ${mib(peak.stored)}, ${mib(final.stored)}`;
    figures['stored growth allowed'] = `${mib(allowance.bytes)}: ${allowance.parts}`;
    if (peak.stored - baseline.stored > allowance.bytes)
      failures.add(
        `stored data grew by ${mib(peak.stored - baseline.stored)} beside the noisy tenant, over the budgets' ${mib(allowance.bytes)}`,
      );
    if (watch.trippedAt !== undefined)
      failures.add(`stored data reached ${mib(watch.trippedAt)}: the check cancelled the flood and stopped the uploads itself`);
    const scratch = scratchAllowance(settings);
    figures["running tasks' disks (run/): peak, allowed"] = `${mib(peak.scratch)}, ${mib(scratch.bytes)}: ${scratch.parts}`;
    if (peak.scratch > scratch.bytes) failures.add(`the running tasks' disks took ${mib(peak.scratch)}, over ${mib(scratch.bytes)}`);

    // Logins.
    figures['quiet login during the attack, after'] = `${loginDuring.status}, ${loginAfter.status}`;
    if (loginDuring.status !== 200) failures.add(`the quiet user's login during the attack answered ${loginDuring.text}`);
    if (loginAfter.status !== 200) failures.add(`the quiet user's login after the attack answered ${loginAfter.text}`);

    // The noisy tenant's answers.
    figures['noisy streams (answers)'] =
      `${noisy.streams}; at most ${noisy.streamsOpenPeak} open at once, ${noisy.streamsEndedByTaskd} ended by taskd`;
    figures['noisy creates'] = String(noisy.creates);
    figures['noisy droplets (create, upload)'] = String(noisy.droplets);
    figures['noisy vSphere session logins'] = String(noisy.sessions);
    figures['noisy failed logins as the quiet user'] = String(noisy.failedLogins);
    figures['noisy refused with 429, answered 5xx'] = `${noisy.refused429}, ${noisy.serverErrors}`;
    trials += [noisy.streams, noisy.creates, noisy.droplets, noisy.sessions, noisy.failedLogins].reduce((n, t) => n + t.total, 0);
    if (noisy.serverErrors) failures.add(`the noisy tenant got ${noisy.serverErrors} 5xx answers`);
    if (!noisy.refused429) failures.add('the noisy tenant was never refused with a 429');

    figures['CPU beside the noisy tenant'] = cpuUsed;
    figures['taskd RSS peak'] = mib(watch.rssPeak);
    figures['machine load (1 min) before, after'] =
      `${loadBefore.toFixed(1)}, ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;
    if (!taskd.alive) failures.add(`taskd exited:\n${taskd.logTail()}`);
    options.log(`${at()}: measured; taskd stops`);
  } catch (err) {
    failures.add(`the check could not go on: ${(err as Error).stack}\n${taskd?.logTail() ?? ''}`);
  } finally {
    await noisy?.stop().catch(() => {});
    await quiet?.stop().catch(() => {});
    await taskd?.stop().catch(() => {});
  }
  return { trials, failures: failures.all, checked: CHECKED, figures };
}

export const checks: ReliabilityCheck[] = [
  {
    name: 'tenants',
    title: 'a quiet tenant beside a noisy one (streams, creates, long tasks, floods, droplets, sessions, logins), SQLite',
    run: (options) => runTenants('sqlite', options),
  },
  {
    name: 'tenants-postgres',
    title: 'the same on PostgreSQL (TASKD_TEST_PG_URL)',
    run: (options) => runTenants('postgres', options),
  },
];
