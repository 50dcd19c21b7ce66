// One claimed task from its working directory to its recorded outcome: spawn (the spawner helper
// makes the directory first), collect output, freeze and thaw it on pause and resume, stop on
// request (SIGTERM to the group, SIGKILL after the grace), then one guarded update.
import type { Kysely } from 'kysely';
import type { Logger } from '../context.js';
import type { Database } from '../store/schema.js';
import { limitsOfTask } from './limits/limits-of-task.js';
import { exitOutcome, notStartedOutcome, unknownOutcome, type TaskOutcome } from './outcome.js';
import type { LimitsAtEnd, OutputStream, Spawner, TaskProcessEvents } from './spawner.js';
import { taskEnvironment } from './task-environment.js';
import { TaskLogWriter } from './task-log-writer.js';
import { appendRunnerMessage, endMessage, STARTED_MESSAGE } from './task-messages.js';
import type { ClaimedTask, RunnerTaskStore } from './task-store.js';
import type { TaskSignals } from './signals.js';
import type { Workspaces } from './workspace.js';

export interface RunningTaskDeps {
  db: Kysely<Database>;
  tasks: RunnerTaskStore;
  spawner: Spawner;
  workspaces: Workspaces;
  log: Logger;
  graceSeconds: number;
  apiUrl?: string;
  /** Tells live log streams on this node of new lines and of the end (they also poll). */
  signals: TaskSignals;
  /** Mints the task's own token (TASKD_TASK_TOKEN) at its start. */
  taskToken?: (task: ClaimedTask) => Promise<string>;
}

export class RunningTask implements TaskProcessEvents {
  private spawnId?: number;
  private stopRequested = false;
  private killTimer?: NodeJS.Timeout;
  private hasStarted = false;
  /** Made at the first output: a task that prints nothing costs no writer. */
  private logs?: TaskLogWriter;
  private resolveOutcome?: (outcome: TaskOutcome) => void;
  /** The runner's "started" message being stored; the end message waits for it, to follow it. */
  private startedMessage?: Promise<void>;
  /** Whether the task should be frozen (paused); the helper is told once the task has started. */
  private wantFrozen = false;
  /**
   * When pause or resume was last asked of it (performance.now()): a poll whose read of the
   * store is older must not undo it.
   */
  pauseChangedAt = -Infinity;
  /** The helper died while it held the task: its working directory may be left for us to remove. */
  dirLeft = false;

  constructor(private readonly deps: RunningTaskDeps, readonly task: ClaimedTask) {}

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
      const recorded = await this.deps.tasks.finish(task.id, outcome);
      if (!recorded) await this.deps.tasks.dropLogsOfDeletedTask(task.id);
      else {
        await this.startedMessage;
        await appendRunnerMessage(this.deps.db, this.deps.log, task.id, endMessage);
      }
      this.deps.signals.taskEnded(task.guid);
    } catch (err) {
      this.deps.log.error({ err, task: task.guid }, 'recording the task outcome failed');
    }
  }

  /**
   * Stops the task: SIGTERM to its process group, SIGKILL once the grace has passed. Used for
   * cancels, for tasks whose row was deleted, and on shutdown; the recorded outcome tells which.
   * A task whose directory is still being made never starts (the helper reports it SIGTERM).
   */
  stop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    if (this.spawnId === undefined) return;
    const id = this.spawnId;
    this.deps.spawner.kill(id, 'SIGTERM');
    this.killTimer = setTimeout(() => this.deps.spawner.kill(id, 'SIGKILL'), this.deps.graceSeconds * 1000);
  }

  /** Freezes the task's group (idempotent); PAUSED is recorded once the helper has frozen it. */
  pause(): void {
    this.pauseChangedAt = performance.now();
    this.wantFrozen = true;
    if (this.hasStarted && !this.stopRequested) this.deps.spawner.freeze(this.spawnId!);
  }

  /** Thaws the task's group (idempotent); the API has already committed it RUNNING. */
  resume(): void {
    this.pauseChangedAt = performance.now();
    this.wantFrozen = false;
    if (this.hasStarted) this.deps.spawner.thaw(this.spawnId!);
  }

  get frozenWanted(): boolean {
    return this.wantFrozen;
  }

  private async execute(): Promise<TaskOutcome> {
    const { task, deps } = this;
    // Minted before the stop check, so that nothing is awaited between that check and the spawn.
    const token = await deps.taskToken?.(task);
    // Stopped before it was handed to the helper: it never starts, as if killed at once.
    if (this.stopRequested) return exitOutcome(null, 'SIGTERM');
    const cwd = deps.workspaces.dirOf(task.guid);
    const source = deps.workspaces.sourceOf(task.droplet_guid);
    const env = taskEnvironment(task, cwd, deps.apiUrl, token, deps.spawner.sandboxed);
    return new Promise<TaskOutcome>((resolve) => {
      this.resolveOutcome = resolve;
      this.spawnId = deps.spawner.spawn({ command: task.command, cwd, source, env, limits: limitsOfTask(task) }, this);
    });
  }

  // TaskProcessEvents, called by the spawner.

  started(): void {
    this.hasStarted = true;
    this.startedMessage = appendRunnerMessage(this.deps.db, this.deps.log, this.task.id, STARTED_MESSAGE);
    // Paused before it started: the helper could not freeze it until now.
    if (this.wantFrozen && !this.stopRequested) this.deps.spawner.freeze(this.spawnId!);
  }

  frozen(): void {
    // Resumed or cancelled meanwhile: the guard leaves the task as it is now.
    if (!this.wantFrozen) return;
    this.deps.tasks.markPaused(this.task.id).catch((err) => this.deps.log.error({ err, task: this.task.guid }, 'recording the task paused failed'));
  }

  output(stream: OutputStream, text: string): void {
    this.logs ??= new TaskLogWriter(this.deps.db, this.task.id, (err) => this.deps.log.error({ err, task: this.task.guid }, 'storing task output failed'), () => this.deps.signals.logLinesWritten(this.task.guid));
    this.logs.write(stream, text);
  }

  exited(code: number | null, signal: NodeJS.Signals | null, limits?: LimitsAtEnd): void {
    this.resolveOutcome?.(exitOutcome(code, signal, limits));
  }

  lost(message: string, dirLeft: boolean): void {
    this.dirLeft = dirLeft;
    this.deps.log.warn({ task: this.task.guid, message }, 'task process lost');
    this.resolveOutcome?.(this.hasStarted ? unknownOutcome : notStartedOutcome);
  }
}
