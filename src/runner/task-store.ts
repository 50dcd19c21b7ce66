// The runner's access to its tasks: the store's statements (store/tasks/) bound to this runner,
// and group commit of task ends, so that tasks ending close together cost one transaction.
import type { Kysely } from 'kysely';
import type { DialectName } from '../store/database.js';
import type { Database } from '../store/schema.js';
import type { TaskOutcome } from '../core/task-outcome.js';
import type { ClaimedTask } from '../store/tasks/launch-context.js';
import { existingTaskIds, stateChangesOfRunner } from '../store/tasks/runner-reads.js';
import { dropLogLinesOfDeletedTask } from '../store/tasks/log-lines.js';
import {
  adoptTasks,
  claimTasks,
  failTasksOfLostRunners,
  failUnclaimedCancels,
  markPaused,
  recordTaskEnds,
  type ClaimRules,
  type LostTask,
  type RecordedFinish,
} from '../store/tasks/transitions.js';

interface QueuedFinish {
  taskId: number;
  outcome: TaskOutcome;
  resolve(recorded: RecordedFinish | undefined): void;
  reject(err: unknown): void;
}

/** Most tasks recorded by one UPDATE (far below both stores' bind limits). */
const MAX_FINISH_BATCH = 500;

export class RunnerTaskStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    private readonly runnerId: string,
  ) {}

  /** Up to `limit` PENDING tasks, now RUNNING here, taken fairly across organizations and spaces (claimTasks). */
  claim(limit: number, rules: ClaimRules): Promise<ClaimedTask[]> {
    return claimTasks(this.db, this.dialect, this.runnerId, limit, rules);
  }

  /** The tasks of these guids still held by a runner, now held by this one (its supervisor runs them). */
  adopt(guids: readonly string[]): Promise<ClaimedTask[]> {
    return adoptTasks(this.db, this.runnerId, guids);
  }

  /**
   * Records how a task of this runner ended (recordTaskEnds). Resolves undefined when the row is
   * gone or already final. Tasks that end close together are recorded together: one UPDATE per
   * distinct outcome for all the tasks queued while the previous batch was written.
   */
  finish(taskId: number, outcome: TaskOutcome): Promise<RecordedFinish | undefined> {
    return new Promise<RecordedFinish | undefined>((resolve, reject) => {
      this.finishQueue.push({ taskId, outcome, resolve, reject });
      if (!this.finishing) {
        this.finishing = true;
        setImmediate(() => void this.writeFinishes());
      }
    });
  }

  private finishQueue: QueuedFinish[] = [];
  private finishing = false;

  private async writeFinishes(): Promise<void> {
    while (this.finishQueue.length) {
      const batch = this.finishQueue.splice(0, MAX_FINISH_BATCH);
      const byOutcome = new Map<string, QueuedFinish[]>();
      for (const entry of batch) {
        const { state, failureReason, exitStatus, logBytesDropped } = entry.outcome;
        const key = JSON.stringify([state, failureReason, exitStatus, logBytesDropped]);
        const group = byOutcome.get(key);
        if (group) group.push(entry);
        else byOutcome.set(key, [entry]);
      }
      await Promise.all(
        [...byOutcome.values()].map(async (group) => {
          try {
            const recorded = await recordTaskEnds(
              this.db,
              this.runnerId,
              group.map((e) => e.taskId),
              group[0]!.outcome,
            );
            for (const entry of group) entry.resolve(recorded.get(entry.taskId));
          } catch (err) {
            for (const entry of group) entry.reject(err);
          }
        }),
      );
    }
    this.finishing = false;
  }

  dropLogsOfDeletedTask(taskId: number): Promise<void> {
    return dropLogLinesOfDeletedTask(this.db, taskId);
  }

  /** This runner's tasks moved to CANCELING, PAUSING or PAUSED (possibly on another node), by guid. */
  followedStates(): Promise<Map<string, string>> {
    return stateChangesOfRunner(this.db, this.runnerId);
  }

  markPaused(taskId: number): Promise<boolean> {
    return markPaused(this.db, this.runnerId, taskId);
  }

  existingIds(ids: readonly number[]): Promise<Set<number>> {
    return existingTaskIds(this.db, ids);
  }

  /** A task cancelled before any runner claimed it ends here: the one of this guid, else all. */
  failUnclaimedCancels(guid?: string): Promise<number> {
    return failUnclaimedCancels(this.db, guid === undefined ? undefined : { guid });
  }

  failTasksOfDeadRunners(leaseSeconds: number, graceSeconds: number): Promise<LostTask[]> {
    return failTasksOfLostRunners(this.db, this.runnerId, leaseSeconds, graceSeconds);
  }
}
