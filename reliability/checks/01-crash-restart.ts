// Crash and restart (issue 8, part 1): kill -9 at a random moment while a mix of tasks runs and
// cancels are in flight — of taskd (crash-taskd), or of the task supervisor and then taskd
// (crash-supervisor) — then start taskd again on the same data directory and check what it
// promised: acknowledged creates exist, nothing ran twice, nothing is stuck RUNNING, nothing
// runs on as an orphan, acknowledged cancels are honoured, output survives, the database is
// intact, and taskd is ready again within 2 s. SQLite; tasks unsandboxed (TASKD_SANDBOX=none) so
// they can write their marker files outside the data directory.
import { loadavg } from 'node:os';
import { FailureLog, percentile, seededRandom, type CheckOptions, type CheckReport, type ReliabilityCheck } from '../check.js';
import { runTrial, type CrashMode, type TrialResult } from '../crash/trial.js';
import { READY_WITHIN_MS } from '../crash/verdict.js';
import type { WorkloadMix } from '../crash/workload.js';

const ADMIN_PASSWORD = 'crash-check-admin-password';
const LEASE_SECONDS = 4;
const GRACE_SECONDS = 1;
const SLOTS = 8;

const ENV: Record<string, string> = {
  TASKD_ADMIN_PASSWORD: ADMIN_PASSWORD,
  TASKD_SANDBOX: 'none',
  TASKD_RUNNER_SLOTS: String(SLOTS),
  // One organization's tasks: the verdict takes a PENDING task beside a free slot for stuck, so no
  // slot is kept for another organization (TASKD_RUNNER_RESERVED_SLOTS).
  TASKD_RUNNER_RESERVED_SLOTS: '0',
  // Short, so that a task the dead taskd had claimed but never handed to the supervisor is
  // failed soon after the restart, and a task ignoring SIGTERM is killed soon after its cancel.
  TASKD_RUNNER_LEASE_SECONDS: String(LEASE_SECONDS),
  TASKD_CANCEL_GRACE_SECONDS: String(GRACE_SECONDS),
  // Above the big task's lines (200,000 at full size): every line is checked stored, so the
  // per-task output budget (100,000 lines by default) must not cut it; the budgets have their own tests.
  TASKD_TASK_OUTPUT_MAX_LINES: '1000000',
};

const FULL: { trials: number; mix: WorkloadMix; killAfterMs: [number, number] } = {
  trials: 50,
  mix: { maxTasks: 24, maxBig: 2, clients: 3, cancelShare: 0.3, sizes: { bigLines: 200_000, longLines: 150, stubbornLines: 60 } },
  killAfterMs: [300, 3000],
};
// One trial each: every trial starts taskd twice, and a start costs about 3.5 s of CPU (mostly
// Node's ESM loader under tsx), so npm test can afford no more.
const QUICK: typeof FULL = {
  trials: 1,
  mix: { maxTasks: 8, maxBig: 1, clients: 2, cancelShare: 0.3, sizes: { bigLines: 20_000, longLines: 30, stubbornLines: 15 } },
  killAfterMs: [300, 1200],
};

const CHECKED = [
  'every acknowledged create exists after the restart with its guid and sequence id (and no sequence id repeats)',
  'no task ran twice (each marker file written at most once)',
  'within the settle time every task is final, or running under the live taskd with its process alive, or PENDING while all slots are taken',
  'acknowledged cancels end FAILED "task was cancelled" or by the task\'s own exit; every outcome has a cause (its exit as its command ends, a cancel, lost with taskd or the supervisor, stopped by the supervisor when taskd stayed away past its lease)',
  'a task reported "Unable to request task to be run" never ran',
  'output is contiguous and as printed; lines printed before the kill are in the log; a task ended by its exit has all of its lines',
  'after taskd stops: the supervisor exits, no process of the trial survives, no task directory is left',
  'the database passes PRAGMA integrity_check and foreign_key_check, and task rows are consistent',
  `taskd answers /readyz 200 within ${READY_WITHIN_MS} ms of being started again`,
];

function crashCheck(mode: CrashMode): ReliabilityCheck {
  return {
    name: `crash-${mode}`,
    title:
      mode === 'taskd'
        ? 'kill -9 of taskd at a random moment while tasks run and cancels are in flight, then restart (SQLite)'
        : 'kill -9 of the task supervisor (then of taskd) at a random moment while tasks run, then restart (SQLite)',
    async run(options: CheckOptions): Promise<CheckReport> {
      const size = options.quick ? QUICK : FULL;
      // TASKD_CRASH_TRIALS=N: fewer (or more) trials, for a look without the full half hour.
      const trials = Number(process.env.TASKD_CRASH_TRIALS) || size.trials;
      const failures = new FailureLog();
      const results: TrialResult[] = [];
      for (let i = 0; i < trials; i++) {
        const seed = (options.seed + i * 7919 + (mode === 'supervisor' ? 1 : 0)) >>> 0;
        const result = await runTrial({
          mode,
          adminPassword: ADMIN_PASSWORD,
          env: ENV,
          mix: size.mix,
          killAfterMs: size.killAfterMs,
          leaseSeconds: LEASE_SECONDS,
          settleMs: (LEASE_SECONDS + 16) * 1000,
          judgeReadiness: !options.quick,
          seed,
          rng: seededRandom(seed),
        });
        results.push(result);
        for (const line of result.failures) failures.add(`trial ${i + 1} (seed ${seed}): ${line}`);
        options.log(
          `trial ${i + 1}/${trials}: ${result.tasks} tasks, ready in ${Math.round(result.readyMs)} ms, adopted ${result.adopted}, ` +
            `unknown ${result.unknownCompletion}, ${result.failures.length ? `${result.failures.length} FAILED` : 'held'}`,
        );
        for (const line of result.failures.slice(0, 3)) options.log(`  ${line.split('\n')[0]!.slice(0, 300)}`);
      }
      return { trials: results.length, failures: failures.all, checked: CHECKED, figures: figuresOf(results) };
    },
  };
}

const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : 'n/a');

function figuresOf(results: TrialResult[]): Record<string, string | number> {
  const finite = (f: (r: TrialResult) => number) => results.map(f).filter((value) => Number.isFinite(value));
  const ready = finite((r) => r.readyMs);
  const readyCpu = finite((r) => r.readyCpuMs);
  const sum = (f: (r: TrialResult) => number) => results.reduce((a, r) => a + f(r), 0);
  const failed = results.filter((r) => r.failures.length).length;
  return {
    'trials failed': `${failed} of ${results.length}`,
    'restart to ready p50 / max (wall)': `${ms(percentile(ready, 50))} / ${ms(Math.max(...ready))}`,
    'restart to ready p50 / max (CPU time of taskd)': `${ms(percentile(readyCpu, 50))} / ${ms(Math.max(...readyCpu))}`,
    'clean first start to ready p50 (wall / CPU)': `${ms(
      percentile(
        finite((r) => r.firstReadyMs),
        50,
      ),
    )} / ${ms(
      percentile(
        finite((r) => r.firstReadyCpuMs),
        50,
      ),
    )}`,
    'host load average (1 min) at the end': loadavg()[0]!.toFixed(1),
    'acknowledged creates per trial': (sum((r) => r.tasks) / Math.max(1, results.length)).toFixed(1),
    'creates unanswered (in flight at the kill)': sum((r) => r.unanswered),
    'acknowledged cancels': sum((r) => r.cancelsAcked),
    'tasks taken back (adopted) after the restart': sum((r) => r.adopted),
    'tasks ended "Unable to determine completion status"': sum((r) => r.unknownCompletion),
    'tasks ended "Unable to request task to be run"': sum((r) => r.notRun),
    'tasks stopped by the supervisor (taskd away longer than its lease)': sum((r) => r.stoppedAsOrphans),
    'tasks genuinely running once settled': sum((r) => r.genuinelyRunning),
    'output lines recovered (tasks started before the kill)': sum((r) => r.linesRecovered),
  };
}

export const checks: ReliabilityCheck[] = [crashCheck('taskd'), crashCheck('supervisor')];
