// One crash trial: taskd on a fresh data directory with one app, clients creating and
// cancelling a mix of tasks over HTTP, then at a random moment a kill -9 — of taskd, or of the
// task supervisor first and of taskd a moment later — and a restart, after which every promise
// taskd made is checked (verdict.ts). Returns what it saw; never throws for what taskd did.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TaskdClient } from './http.js';
import { supervisorPid, trialProcesses } from './host-processes.js';
import { bareEnv, sleep, TaskdProcess } from '../support/taskd-process.js';
import { markerOf, printedBy, Workload, type WorkloadMix } from './workload.js';
import { judgeAfterRestart, judgeAfterStop, type TrialFigures } from './verdict.js';

export type CrashMode = 'taskd' | 'supervisor';

export interface TrialPlan {
  mode: CrashMode;
  adminPassword: string;
  env: Record<string, string>;
  mix: WorkloadMix;
  /** The kill comes this long after the clients started (ms), chosen in [min, max). */
  killAfterMs: [number, number];
  /** taskd's runner lease: a supervisor left without taskd this long stops its tasks. */
  leaseSeconds: number;
  /** How long every task may take to be final or genuinely running after the restart. */
  settleMs: number;
  /**
   * Whether a restart slower than READY_WITHIN_MS fails the trial: at full size, yes; the quick
   * run inside npm test only reports the time (no timed assertions in tests).
   */
  judgeReadiness: boolean;
  seed: number;
  rng: () => number;
}

export interface TrialResult extends TrialFigures {
  failures: string[];
  /** Spawn of the restarted taskd to its first /readyz 200 (NaN: it never got there). */
  readyMs: number;
  /** CPU time the restarted taskd used until then. */
  readyCpuMs: number;
  /** The same two for the trial's first start, on a fresh data directory. */
  firstReadyMs: number;
  firstReadyCpuMs: number;
}

export async function runTrial(plan: TrialPlan): Promise<TrialResult> {
  const root = mkdtempSync(path.join(tmpdir(), 'taskd-crash-'));
  const dataDir = path.join(root, 'data');
  const markers = path.join(root, 'markers');
  mkdirSync(markers);
  // Tasks write their markers here; as root's, they run as the unprivileged task user.
  chmodSync(root, 0o711);
  chmodSync(markers, 0o777);
  const result: TrialResult = {
    failures: [],
    readyMs: NaN,
    readyCpuMs: NaN,
    firstReadyMs: NaN,
    firstReadyCpuMs: NaN,
    tasks: 0,
    adopted: 0,
    unknownCompletion: 0,
    stoppedAsOrphans: 0,
    notRun: 0,
    linesRecovered: 0,
    cancelsAcked: 0,
    genuinelyRunning: 0,
    unanswered: 0,
  };
  const fail = (line: string) => result.failures.push(line);
  const taskds: TaskdProcess[] = [];
  try {
    const first = await TaskdProcess.start(dataDir, { env: bareEnv(plan.env), waitReady: true });
    taskds.push(first);
    result.firstReadyMs = first.readyMs;
    result.firstReadyCpuMs = first.readyCpuMs;
    const firstClient = await TaskdClient.login(first.url, plan.adminPassword);
    const appGuid = await firstClient.appWithDroplet('crash');
    const workload = new Workload(firstClient, appGuid, markers, plan.mix, plan.rng);
    workload.start();
    const [min, max] = plan.killAfterMs;
    await sleep(min + plan.rng() * (max - min));
    if (plan.mode === 'supervisor') {
      const pid = supervisorPid(dataDir);
      if (pid === undefined) fail('no task supervisor ran for the data directory while tasks were being created');
      else process.kill(pid, 'SIGKILL');
      // taskd starts another supervisor by itself; the clients go on meanwhile, then taskd dies too.
      await sleep(plan.rng() * 1000);
    }
    // Read just before the kill: lines the slow printers had printed by then must survive it.
    const printedBeforeKill = new Map(workload.created.map((t) => [t.guid, printedBy(markers, t.guid)]));
    const startedBeforeKill = new Set(workload.created.filter((t) => markerOf(markers, t.guid).starts > 0).map((t) => t.guid));
    const killedAt = performance.now();
    await first.kill();
    await workload.stop();

    const restartedAt = new Date().toISOString();
    const restarted = await TaskdProcess.start(dataDir, { env: bareEnv(plan.env), waitReady: true }).catch((err: Error) => {
      fail(`taskd did not start again after the kill: ${err.message.slice(0, 2000)}`);
      return undefined;
    });
    if (!restarted) return result;
    taskds.push(restarted);
    result.readyMs = restarted.readyMs;
    const downtimeMs = performance.now() - killedAt;
    result.readyCpuMs = restarted.readyCpuMs;
    const client = await TaskdClient.login(restarted.url, plan.adminPassword);
    await judgeAfterRestart({
      plan,
      appGuid,
      dataDir,
      markers,
      client,
      taskd: restarted,
      workload,
      printedBeforeKill,
      startedBeforeKill,
      restartedAt,
      downtimeMs,
      result,
      fail,
    });

    const stoppedCleanly = await restarted.stop(30_000);
    if (!stoppedCleanly) fail(`taskd did not stop within 30 s of SIGTERM:\n${restarted.log.slice(-2000)}`);
    await judgeAfterStop({ dataDir, markers, fail });
  } catch (err) {
    fail(`the trial could not go on: ${(err as Error).stack ?? err}`);
  } finally {
    for (const taskd of taskds) await taskd.kill();
    cleanUp(dataDir);
    // TASKD_CRASH_KEEP=1 keeps a failed trial's directory, with what each taskd printed, to look into.
    if (result.failures.length && process.env.TASKD_CRASH_KEEP === '1') {
      taskds.forEach((taskd, i) => writeFileSync(path.join(root, `taskd-${i + 1}.log`), taskd.log));
      writeFileSync(path.join(root, 'failures.txt'), result.failures.join('\n'));
      result.failures.push(`kept in ${root}`);
    } else rmSync(root, { recursive: true, force: true });
  }
  return result;
}

/**
 * Whatever of the trial still runs (only after a failure: a passing trial leaves nothing) is
 * killed, by pid: its supervisor and task groups are processes this check made.
 */
function cleanUp(dataDir: string): void {
  const guids = new Set<string>();
  try {
    for (const name of readdirSync(path.join(path.dirname(dataDir), 'markers'))) if (/^[0-9a-f-]{36}$/.test(name)) guids.add(name);
  } catch {
    // No markers: no task ran.
  }
  for (const p of trialProcesses(dataDir, guids, new Set())) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}
