// What must hold after a crash and restart, checked the way a user would find out: through the
// API (tasks, outcomes, logs), the marker files the tasks wrote, the host's processes, and the
// database file once taskd has stopped. Each broken promise is one failure line.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { RUNNER_HELD_STATES, FAILURE, isTerminal } from '../../src/core/task-states.js';
import type { TaskdClient } from './http.js';
import { supervisorPid, taskProcessAlive, trialProcesses } from './host-processes.js';
import { runnerView, storeProblems } from './store-reader.js';
import { sleep, type TaskdProcess } from '../support/taskd-process.js';
import type { TrialPlan } from './trial.js';
import { markerOf, type CreatedTask, type Workload } from './workload.js';

/** taskd must answer /readyz this soon after it is started again. */
export const READY_WITHIN_MS = 2000;

export interface TrialFigures {
  /** Tasks whose create was acknowledged. */
  tasks: number;
  /** Tasks the restarted taskd took back from the supervisor: held by its runner, claimed before it started. */
  adopted: number;
  /** Tasks that ended FAILED "Unable to determine completion status". */
  unknownCompletion: number;
  /** Tasks the supervisor stopped because taskd was away longer than its lease. */
  stoppedAsOrphans: number;
  /** Tasks that ended FAILED "Unable to request task to be run". */
  notRun: number;
  /** Output lines readable after the restart, of the tasks that had started before the kill. */
  linesRecovered: number;
  cancelsAcked: number;
  /** Tasks still running (adopted or started since) once the restart had settled. */
  genuinelyRunning: number;
  /** Creates that got no answer or an error. */
  unanswered: number;
}

interface AfterRestart {
  plan: TrialPlan;
  appGuid: string;
  dataDir: string;
  markers: string;
  client: TaskdClient;
  taskd: TaskdProcess;
  workload: Workload;
  printedBeforeKill: Map<string, number>;
  /** When the restarted taskd was spawned (ISO): a task its runner holds that was claimed before then was adopted. */
  restartedAt: string;
  /** From the kill until the restarted taskd was ready. */
  downtimeMs: number;
  startedBeforeKill: Set<string>;
  result: TrialFigures;
  fail(line: string): void;
}

export async function judgeAfterRestart(t: AfterRestart): Promise<void> {
  const { client, plan, workload, result, fail } = t;
  if (plan.judgeReadiness && t.taskd.readyMs > READY_WITHIN_MS)
    fail(`taskd was ready ${Math.round(t.taskd.readyMs)} ms after it was started again (more than ${READY_WITHIN_MS} ms)`);
  result.tasks = workload.created.length;
  result.unanswered = Object.values(workload.unacknowledged).reduce((a, b) => a + b, 0);

  await settle(t);

  // Whatever still runs is cancelled now: each of these cancels must be honoured too.
  const byGuid = new Map(workload.created.map((c) => [c.guid, c]));
  for (const task of await client.tasksOfApp(t.appGuid)) {
    if (isTerminal(task.taskd_state)) continue;
    const created = byGuid.get(task.guid);
    if (created) await workload.cancel(created, client);
    else await client.tryRequest('POST', `/v3/tasks/${task.guid}/actions/cancel`, {});
  }
  const deadline = Date.now() + plan.settleMs;
  let tasks = await client.tasksOfApp(t.appGuid);
  while (tasks.some((x) => !isTerminal(x.taskd_state)) && Date.now() < deadline) {
    await sleep(200);
    tasks = await client.tasksOfApp(t.appGuid);
  }
  for (const x of tasks)
    if (!isTerminal(x.taskd_state)) fail(`task ${x.guid} is still ${x.taskd_state} ${plan.settleMs} ms after it was cancelled`);
  result.cancelsAcked = workload.created.filter((c) => c.cancelAcked).length;

  const listed = new Map(tasks.map((x) => [x.guid as string, x]));
  const seqs = tasks.map((x) => x.sequence_id as number);
  if (new Set(seqs).size !== seqs.length) fail(`sequence ids repeat among the app's tasks: ${seqs.sort((a, b) => a - b).join(',')}`);
  for (const x of tasks) {
    const starts = markerOf(t.markers, x.guid).starts;
    if (starts > 1) fail(`task ${x.guid} ran ${starts} times (its marker file has ${starts} lines)`);
  }
  for (const created of workload.created) {
    const task = listed.get(created.guid);
    if (!task) {
      fail(`acknowledged create of task ${created.guid} (sequence id ${created.sequenceId}) is missing after the restart`);
      continue;
    }
    if (task.sequence_id !== created.sequenceId)
      fail(`task ${created.guid} was acknowledged with sequence id ${created.sequenceId} but has ${task.sequence_id}`);
    await judgeTask(t, created, task);
  }
}

/**
 * Every task must come to rest within the settle time: final, or running for real — held by the
 * live taskd's runner with a process alive — or PENDING while every slot is taken. A task left
 * RUNNING under the dead taskd's runner, or with no process behind it, is stuck — unless its
 * output is still being stored (a big output replayed from its spool ends only after its last
 * line), which may take up to four settle times on a busy host.
 */
async function settle(t: AfterRestart): Promise<void> {
  const deadline = Date.now() + t.plan.settleMs;
  const hardDeadline = Date.now() + 4 * t.plan.settleMs;
  // Last lines stored, as seen at least 2 s ago: batches of output may be that far apart on a busy host.
  const seqSeen = new Map<string, number>();
  let seenAt = 0;
  for (;;) {
    const view = runnerView(t.dataDir, t.taskd.pid);
    const held = view.tasks.filter((x) => (RUNNER_HELD_STATES as readonly string[]).includes(x.state));
    const stuck: string[] = [];
    for (const x of view.tasks) {
      if (isTerminal(x.state)) continue;
      if (x.state === 'PENDING') {
        if (held.length < view.slots) stuck.push(`${x.guid} PENDING while ${view.slots - held.length} slots are free`);
      } else if (x.runner_id !== view.liveRunner)
        stuck.push(`${x.guid} ${x.state} under runner ${x.runner_id}, not the live one (${view.liveRunner})`);
      else if (!taskProcessAlive(x.guid) && !(x.last_seq > (seqSeen.get(x.guid) ?? 0) && Date.now() < hardDeadline))
        stuck.push(`${x.guid} ${x.state} under the live runner with no process alive (${kindOf(t, x.guid)})`);
    }
    const recording = view.tasks.filter((x) => x.last_seq > (seqSeen.get(x.guid) ?? 0));
    if (Date.now() - seenAt >= 2000) {
      seenAt = Date.now();
      for (const x of view.tasks) seqSeen.set(x.guid, x.last_seq);
    }
    if (!stuck.length && !recording.some((x) => !isTerminal(x.state) && x.runner_id === view.liveRunner && !taskProcessAlive(x.guid))) {
      t.result.genuinelyRunning = held.length;
      t.result.adopted = view.tasks.filter(
        (x) => x.runner_id === view.liveRunner && x.started_at !== null && x.started_at < t.restartedAt,
      ).length;
      return;
    }
    if (stuck.length && Date.now() > deadline) {
      for (const line of stuck) t.fail(`task ${line}, ${t.plan.settleMs} ms after the restart`);
      return;
    }
    await sleep(200);
  }
}

function kindOf(t: AfterRestart, guid: string): string {
  const created = t.workload.created.find((c) => c.guid === guid);
  return `${created?.spec.kind ?? 'unacknowledged create'}, marker written ${markerOf(t.markers, guid).starts} times`;
}

/** A task's outcome and output, against what it was made to do and what was asked of it. */
async function judgeTask(t: AfterRestart, created: CreatedTask, task: any): Promise<void> {
  const { spec } = created;
  const reason: string | null = task.result?.failure_reason ?? null;
  const starts = markerOf(t.markers, created.guid).starts;
  const byExit = task.state === 'SUCCEEDED' || /^Exited with status \d+$/.test(reason ?? '');
  const label = `task ${created.guid} (${spec.kind})`;
  if (byExit) {
    const expected = spec.exitStatus === 0 ? 'SUCCEEDED' : `FAILED "Exited with status ${spec.exitStatus}"`;
    const got = task.state === 'SUCCEEDED' ? 'SUCCEEDED' : `FAILED "${reason}"`;
    if (got !== expected) t.fail(`${label} ended ${got}, but its command ends ${expected}`);
    if (starts !== 1) t.fail(`${label} ended by its exit but its marker says it started ${starts} times`);
  } else if (reason === FAILURE.cancelled) {
    if (!created.cancelSent) t.fail(`${label} ended cancelled though no cancel of it was sent`);
  } else if (reason === FAILURE.unknownCompletion) {
    t.result.unknownCompletion++;
  } else if (/^Killed by signal SIG(TERM|KILL)$/.test(reason ?? '') && t.downtimeMs > t.plan.leaseSeconds * 1000) {
    // taskd stayed away longer than its lease: the supervisor stopped the tasks it was left with.
    t.result.stoppedAsOrphans++;
  } else if (reason === FAILURE.unableToRun) {
    t.result.notRun++;
    if (starts > 0) t.fail(`${label} ended "${reason}" but it did run (its marker was written)`);
  } else {
    t.fail(`${label} ended ${task.state} "${reason}", an outcome none of its causes explains`);
  }
  if (created.cancelAcked && !byExit && reason !== FAILURE.cancelled)
    t.fail(`${label}: its cancel was acknowledged but it ended ${task.state} "${reason}"`);

  const lines = await t.client.logOf(created.guid);
  if (t.startedBeforeKill.has(created.guid)) t.result.linesRecovered += lines.length;
  // A task killed mid-write leaves its last line unfinished: that line may be cut short.
  const asPrinted = (l: { seq: number; text: string }, i: number) =>
    l.seq === i + 1 && (l.text === spec.text(i + 1) || (!byExit && i === lines.length - 1 && spec.text(i + 1).startsWith(l.text)));
  const wrong = lines.findIndex((l, i) => !asPrinted(l, i));
  if (wrong >= 0)
    t.fail(
      `${label}: log line ${wrong + 1} is seq ${lines[wrong]!.seq} "${lines[wrong]!.text.slice(0, 40)}", expected seq ${wrong + 1} "${spec.text(wrong + 1)}"`,
    );
  if (lines.length > spec.lines) t.fail(`${label}: ${lines.length} log lines, more than the ${spec.lines} it prints`);
  if (byExit && lines.length !== spec.lines)
    t.fail(`${label} ended by its exit with ${lines.length} of its ${spec.lines} lines in its log`);
  const printed = t.printedBeforeKill.get(created.guid) ?? 0;
  // Killed with taskd, the supervisor kept every line; killed with the supervisor, the lines it
  // had read but not yet passed on die with it.
  if (t.plan.mode === 'taskd' && lines.length < printed)
    t.fail(`${label} had printed ${printed} lines before the kill, but its log has ${lines.length}`);
}

interface AfterStop {
  dataDir: string;
  markers: string;
  fail(line: string): void;
}

/** With taskd stopped: nothing of the trial runs on, no task directory is left, the database is intact. */
export async function judgeAfterStop(t: AfterStop): Promise<void> {
  let deadline = Date.now() + 10_000;
  while (supervisorPid(t.dataDir) !== undefined && Date.now() < deadline) await sleep(100);
  const supervisor = supervisorPid(t.dataDir);
  if (supervisor !== undefined) t.fail(`the task supervisor (pid ${supervisor}) still runs 10 s after taskd stopped with every task final`);

  const guids = new Set<string>();
  const groups = new Set<number>();
  for (const name of readdirSync(t.markers)) {
    if (!/^[0-9a-f-]{36}$/.test(name)) continue;
    guids.add(name);
    const pid = markerOf(t.markers, name).pid;
    if (pid) groups.add(pid);
  }
  deadline = Date.now() + 5000;
  let left = trialProcesses(t.dataDir, guids, groups);
  while (left.length && Date.now() < deadline) {
    await sleep(100);
    left = trialProcesses(t.dataDir, guids, groups);
  }
  for (const p of left) t.fail(`process ${p.pid} (group ${p.pgid}, ${p.why}) survived: ${p.command}`);

  let dirs: string[] = [];
  try {
    dirs = readdirSync(path.join(t.dataDir, 'tasks'));
  } catch {
    // Never made: no task ran.
  }
  if (dirs.length) t.fail(`${dirs.length} task working directories were left in the data directory (e.g. ${dirs[0]})`);
  for (const problem of storeProblems(t.dataDir)) t.fail(`database: ${problem}`);
}
