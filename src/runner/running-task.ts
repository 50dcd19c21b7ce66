// One claimed task from its working directory to its recorded outcome: spawn, collect output,
// stop on request (SIGTERM to the group, SIGKILL after the grace), then one guarded update.
import type { Kysely } from 'kysely';
import type { Logger } from '../context.js';
import type { Database } from '../store/schema.js';
import { exitOutcome, notStartedOutcome, unknownOutcome, type TaskOutcome } from './outcome.js';
import type { Spawner } from './spawner.js';
import { taskEnvironment } from './task-environment.js';
import { TaskLogWriter } from './task-log-writer.js';
import type { ClaimedTask, RunnerTaskStore } from './task-store.js';
import type { Workspaces } from './workspace.js';

export interface RunningTaskDeps {
  db: Kysely<Database>;
  tasks: RunnerTaskStore;
  spawner: Spawner;
  workspaces: Workspaces;
  log: Logger;
  graceSeconds: number;
  apiUrl?: string;
}

export class RunningTask {
  private spawnId?: number;
  private stopRequested = false;
  private killTimer?: NodeJS.Timeout;

  constructor(private readonly deps: RunningTaskDeps, readonly task: ClaimedTask) {}

  get guid(): string {
    return this.task.guid;
  }

  /** Runs the task to its end and records the outcome; never rejects. */
  async run(): Promise<void> {
    const { task } = this;
    const logs = new TaskLogWriter(this.deps.db, task.id, (err) => this.deps.log.error({ err, task: task.guid }, 'storing task output failed'));
    let outcome: TaskOutcome;
    try {
      outcome = await this.execute(logs);
    } catch (err) {
      this.deps.log.warn({ err, task: task.guid }, 'task could not be started');
      outcome = notStartedOutcome;
    }
    clearTimeout(this.killTimer);
    try {
      await logs.close();
      const recorded = await this.deps.tasks.finish(task.id, outcome);
      if (!recorded) await this.deps.tasks.dropLogsOfDeletedTask(task.id);
    } catch (err) {
      this.deps.log.error({ err, task: task.guid }, 'recording the task outcome failed');
    }
  }

  /**
   * Stops the task: SIGTERM to its process group, SIGKILL once the grace has passed. Used for
   * cancels, for tasks whose row was deleted, and on shutdown; the recorded outcome tells which.
   */
  stop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    if (this.spawnId === undefined) return;
    const id = this.spawnId;
    this.deps.spawner.kill(id, 'SIGTERM');
    this.killTimer = setTimeout(() => this.deps.spawner.kill(id, 'SIGKILL'), this.deps.graceSeconds * 1000);
  }

  private async execute(logs: TaskLogWriter): Promise<TaskOutcome> {
    const { task, deps } = this;
    const cwd = await deps.workspaces.prepare(task.guid, task.droplet_guid);
    // Stopped while its directory was being made: it never starts, as if killed at once.
    if (this.stopRequested) return exitOutcome(null, 'SIGTERM');
    const env = taskEnvironment(task, cwd, deps.apiUrl);
    return new Promise<TaskOutcome>((resolve) => {
      let started = false;
      this.spawnId = deps.spawner.spawn(
        { command: task.command, cwd, env },
        {
          started: () => {
            started = true;
          },
          output: (stream, text) => logs.write(stream, text),
          exited: (code, signal) => resolve(exitOutcome(code, signal)),
          lost: (message) => {
            deps.log.warn({ task: task.guid, message }, 'task process lost');
            resolve(started ? unknownOutcome : notStartedOutcome);
          },
        },
      );
    });
  }
}
