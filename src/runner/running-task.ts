// One claimed task from its working directory to its recorded outcome: spawn (the supervisor
// makes the directory first) or, after a restart of taskd, attach to the process the supervisor
// still holds; collect output, freeze and thaw it on pause and resume, stop on request (SIGTERM to
// the group, SIGKILL after the grace), then one guarded update, and release it from the supervisor.
import type { Kysely } from 'kysely';
import type { Logger } from '../context.js';
import type { Database } from '../store/schema.js';
import { limitsOfTask } from './limits/limits-of-task.js';
import { exitOutcome } from './outcome.js';
import { notStartedOutcome, unknownOutcome, type TaskOutcome } from '../core/task-outcome.js';
import type { HeldTask, LimitsAtEnd, LostHow, OutputLine, TaskProcessEvents, TaskSupervisor } from './supervisor-client.js';
import { taskEnvironment } from './task-environment.js';
import { TaskLogWriter } from './task-log-writer.js';
import { outputTruncatedMessage, type OutputBudgetLimits, type OutputTruncation } from '../core/output-budget.js';
import { lastStoredSeq } from '../store/tasks/log-lines.js';
import { appendRunnerMessage } from './task-messages.js';
import { NETWORK_NOT_ISOLATED_MESSAGE, outputLostMessage, STARTED_MESSAGE } from '../core/runner-messages.js';
import { isStorageFull } from '../store/errors.js';
import { FAILURE } from '../core/task-states.js';
import type { RunnerTaskStore } from './task-store.js';
import type { ClaimedTask } from '../store/tasks/launch-context.js';
import type { TaskSignals } from '../signals/task-signals.js';
import type { Workspaces } from './workspace.js';
import type { DropletTrees } from './droplet-trees.js';
import type { HostUser } from './task-user.js';

export interface RunningTaskDeps {
  db: Kysely<Database>;
  tasks: RunnerTaskStore;
  supervisor: TaskSupervisor;
  workspaces: Workspaces;
  droplets: DropletTrees;
  log: Logger;
  graceSeconds: number;
  apiUrl?: string;
  /** Tells live log streams on this node of new lines and of the end (they also poll). */
  signals: TaskSignals;
  /** Mints the task's own token (TASKD_TASK_TOKEN) at its start. */
  taskToken?: (task: ClaimedTask) => Promise<string>;
  /** The host user tasks run as; none: taskd's own (task-user.ts). */
  hostUser?: HostUser;
  /** Whether each task gets a filesystem of its own sized to its disk limit. */
  ownFilesystems: boolean;
  /** How much output a task, and its organization over all its tasks, may keep. */
  outputBudget: OutputBudgetLimits;
  /** A task's output passed a budget and the rest is dropped (counted once per task, by the metrics). */
  outputTruncated?: (reason: OutputTruncation) => void;
}

export class RunningTask implements TaskProcessEvents {
  /** Whether the supervisor has been asked to run (or to follow) the task. */
  private handedOver = false;
  private stopRequested = false;
  /** Stopped because taskd shuts down: its end says so, not the signal taskd sent it. */
  private stoppedByShutdown = false;
  private killTimer?: NodeJS.Timeout;
  private hasStarted = false;
  /** Made at the first output: a task that prints nothing costs no writer. */
  private logs?: TaskLogWriter;
  private resolveOutcome?: (outcome: TaskOutcome) => void;
  /** The runner's "started" message being stored; the end message waits for it, to follow it. */
  private startedMessage?: Promise<void>;
  /** The message that the task's output was truncated, being stored; the end message follows it. */
  private truncatedMessage?: Promise<void>;
  /** Whether the task should be frozen (paused); the helper is told once the task has started. */
  private wantFrozen = false;
  /**
   * When pause or resume was last asked of it (performance.now()): a poll whose read of the
   * store is older must not undo it.
   */
  pauseChangedAt = -Infinity;
  /** The helper died while it held the task: its working directory may be left for us to remove. */
  dirLeft = false;

  /**
   * @param reattach what the supervisor holds of a task taken back after a restart of taskd:
   *   it is followed, not started again
   */
  constructor(
    private readonly deps: RunningTaskDeps,
    readonly task: ClaimedTask,
    private readonly reattach?: HeldTask,
  ) {
    this.wantFrozen = reattach?.frozen ?? false;
  }

  get guid(): string {
    return this.task.guid;
  }

  /** Runs the task to its end and records the outcome; never rejects. */
  async run(): Promise<void> {
    const { task } = this;
    let outcome: TaskOutcome;
    try {
      outcome = await this.execute();
    } catch (err) {
      this.deps.log.warn({ err, task: task.guid }, 'task could not be started');
      outcome = notStartedOutcome;
    }
    if (this.killTimer) clearTimeout(this.killTimer);
    try {
      if (this.logs) await this.logs.close();
      // Stored before the end, which comes with its own message: whoever sees the task final
      // finds its "started" message there, and lost output named before how it ended.
      await this.startedMessage;
      await this.truncatedMessage;
      // Said in the task's messages, so that a log with gaps is not taken for the whole output.
      if (this.logs?.lost) await appendRunnerMessage(this.deps.db, this.deps.log, task.id, outputLostMessage(this.logs.lost));
      const recorded = await recordWhenStored(() => this.deps.tasks.finish(task.id, outcome), this.deps.log, task.guid);
      if (!recorded) await this.deps.tasks.dropLogsOfDeletedTask(task.id);
      // Only once its end is stored: until then a restart finds the task in the supervisor.
      this.deps.supervisor.release(task.guid);
      this.deps.signals.taskEnded(task.guid);
      if (recorded)
        this.deps.signals.taskRecorded({ ...recorded, startedAt: task.started_at, logBytesDropped: outcome.logBytesDropped ?? 0 });
    } catch (err) {
      this.deps.log.error({ err, task: task.guid }, 'recording the task outcome failed');
    }
  }

  /**
   * Stops the task: SIGTERM to its process group, SIGKILL once the grace has passed. Used for
   * cancels, for tasks whose row was deleted, and on shutdown; the recorded outcome tells which.
   * A task whose directory is still being made never starts (the helper reports it SIGTERM).
   */
  stop(why: 'requested' | 'shutdown' = 'requested'): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.stoppedByShutdown = why === 'shutdown';
    if (!this.handedOver) return;
    const { supervisor } = this.deps;
    supervisor.kill(this.guid, 'SIGTERM');
    this.killTimer = setTimeout(() => supervisor.kill(this.guid, 'SIGKILL'), this.deps.graceSeconds * 1000);
  }

  /** Freezes the task's group (idempotent); PAUSED is recorded once the helper has frozen it. */
  pause(): void {
    this.pauseChangedAt = performance.now();
    this.wantFrozen = true;
    if (this.hasStarted && !this.stopRequested) this.deps.supervisor.freeze(this.guid);
  }

  /** Thaws the task's group (idempotent); the API has already committed it RUNNING. */
  resume(): void {
    this.pauseChangedAt = performance.now();
    this.wantFrozen = false;
    if (this.hasStarted) this.deps.supervisor.thaw(this.guid);
  }

  get frozenWanted(): boolean {
    return this.wantFrozen;
  }

  private async execute(): Promise<TaskOutcome> {
    const { task, deps } = this;
    if (this.reattach) {
      const afterSeq = await lastStoredSeq(deps.db, task.id);
      return new Promise<TaskOutcome>((resolve) => {
        this.resolveOutcome = resolve;
        this.handedOver = true;
        deps.supervisor.attach(task.guid, afterSeq, this);
        // Refused before the restart: the supervisor (still the one that held it) need not pass on any more.
        if (task.output_truncated) deps.supervisor.discardOutput(task.guid);
        // Cancelled while it was being taken back.
        if (this.stopRequested) {
          this.stopRequested = false;
          this.stop(this.stoppedByShutdown ? 'shutdown' : 'requested');
        }
      });
    }
    // Fetched and minted before the stop check, so that nothing is awaited between that check and the spawn.
    const source = await deps.droplets.treeOf(task.droplet_guid);
    const token = await deps.taskToken?.(task);
    const network = task.appTaskNetwork !== 'off';
    // Said plainly rather than pretended: only the sandbox can take the network away. Awaited, so
    // that it comes before "started" and the end in the task's messages.
    if (!network && !deps.supervisor.sandboxed) await appendRunnerMessage(deps.db, deps.log, task.id, NETWORK_NOT_ISOLATED_MESSAGE);
    // Stopped before it was handed to the helper: it never starts, as if killed at once.
    if (this.stopRequested) return this.stoppedOutcome(exitOutcome(null, 'SIGTERM'));
    const cwd = deps.workspaces.dirOf(task.guid);
    const env = taskEnvironment(task, cwd, deps.apiUrl, token, deps.supervisor.sandboxed);
    return new Promise<TaskOutcome>((resolve) => {
      this.resolveOutcome = resolve;
      this.handedOver = true;
      deps.supervisor.spawn(
        task.guid,
        {
          command: task.command,
          cwd,
          source,
          env,
          limits: limitsOfTask(task),
          network,
          identity: deps.hostUser,
          disk: deps.ownFilesystems,
          // A task that has not run yet has stored nothing: its whole budget is left.
          outputBudget: { lines: deps.outputBudget.taskMaxLines, bytes: deps.outputBudget.taskMaxBytes },
          tenant: task.organizationGuid ?? undefined,
        },
        this,
      );
    });
  }

  // TaskProcessEvents, called by the supervisor client.

  started(): void {
    this.hasStarted = true;
    // A task taken back was started (and said so) before the restart.
    if (!this.reattach) this.startedMessage = appendRunnerMessage(this.deps.db, this.deps.log, this.task.id, STARTED_MESSAGE);
    // Paused before it started: the supervisor could not freeze it until now.
    if (this.wantFrozen && !this.stopRequested) this.deps.supervisor.freeze(this.guid);
  }

  frozen(): void {
    // Resumed or cancelled meanwhile: the guard leaves the task as it is now.
    if (!this.wantFrozen) return;
    this.deps.tasks
      .markPaused(this.task.id)
      .catch((err) => this.deps.log.error({ err, task: this.task.guid }, 'recording the task paused failed'));
  }

  lines(lines: OutputLine[]): void {
    const { task, deps } = this;
    this.logs ??= new TaskLogWriter(
      deps.db,
      task.id,
      {
        limits: deps.outputBudget,
        organizationId: task.organization_id,
        // What is stored of a task taken back after a restart still counts.
        storedBytes: Number(task.output_bytes),
        storedLines: Number(task.output_lines),
        truncated: task.output_truncated as OutputTruncation | null,
      },
      {
        onError: (err) => deps.log.error({ err, task: task.guid }, 'storing task output failed'),
        onWritten: () => deps.signals.logLinesWritten(task.guid),
        onFull: (full) => deps.supervisor.holdOutput(this.guid, full),
        onTruncated: (reason, first) => this.outputTruncated(reason, first),
      },
    );
    this.logs.write(lines);
  }

  /** Past its output budget the task runs on, but its output is read and thrown away where it is read. */
  private outputTruncated(reason: OutputTruncation, first: boolean): void {
    const { task, deps } = this;
    deps.supervisor.discardOutput(task.guid);
    if (!first) return;
    deps.outputTruncated?.(reason);
    this.truncatedMessage = appendRunnerMessage(deps.db, deps.log, task.id, outputTruncatedMessage(reason, deps.outputBudget));
  }

  exited(code: number | null, signal: NodeJS.Signals | null, limits?: LimitsAtEnd): void {
    this.resolveOutcome?.(this.stoppedOutcome(exitOutcome(code, signal, limits), limits));
  }

  /**
   * A task that failed once taskd, shutting down, stopped it ended because of that: "Killed by
   * signal SIGTERM" would read as if something else on the host had killed it. A limit that ended
   * it first keeps its own reason; a task that still succeeded (its TERM trap) succeeded.
   */
  private stoppedOutcome(outcome: TaskOutcome, limits?: LimitsAtEnd): TaskOutcome {
    if (!this.stoppedByShutdown || outcome.state !== 'FAILED' || limits?.exceeded) return outcome;
    return { ...outcome, failureReason: FAILURE.shutDown };
  }

  lost(message: string, how: LostHow): void {
    this.dirLeft = how.dirLeft;
    this.deps.log.warn({ task: this.task.guid, message }, 'task process lost');
    // "Unable to request task to be run" only when it surely never ran: a task that ran must never
    // be reported so, and one whose start died unheard with its supervisor may have run.
    this.resolveOutcome?.(this.hasStarted || this.reattach || how.mayHaveStarted ? unknownOutcome : notStartedOutcome);
  }
}

/** A task's end waits through a full store this often, and this long, before it is given up. */
const FULL_RETRY_MS = 1000;
const FULL_GIVE_UP_MS = 10 * 60 * 1000;

/**
 * Records a task's end, waiting through a full store (disk full): given up at once, the task would
 * stay RUNNING with its process gone, and nothing would record it once space is freed.
 */
async function recordWhenStored<T>(record: () => Promise<T>, log: Logger, guid: string): Promise<T> {
  const firstTry = Date.now();
  for (let warned = false; ;) {
    try {
      return await record();
    } catch (err) {
      if (!isStorageFull(err) || Date.now() - firstTry >= FULL_GIVE_UP_MS) throw err;
      if (!warned) log.warn({ err, task: guid }, "out of storage space: the task's end waits for space to be recorded");
      warned = true;
      await new Promise((resolve) => setTimeout(resolve, FULL_RETRY_MS));
    }
  }
}
