// The runner's reads and writes of tasks. Every state change is one guarded UPDATE whose WHERE
// names the states TRANSITIONS allows to leave from, so runners on several nodes and the API can
// race without producing an illegal state.
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { DialectName } from '../store/database.js';
import type { Database, TaskRow } from '../store/schema.js';
import { FAILURE, RUNNER_HELD_STATES, TRANSITIONS } from '../core/task-states.js';
import { nowIso } from '../core/time.js';
import type { TaskOutcome } from './outcome.js';
import { appendTaskMessage } from '../store/task-messages.js';
import { endMessage, lostRunnerMessage } from './task-messages.js';

/** What a claimed task needs from its app, space and organization to run. */
export interface LaunchContext {
  appGuid: string;
  appName: string;
  /** JSON object of strings. */
  environmentVariables: string;
  spaceGuid: string;
  spaceName: string;
  organizationGuid: string;
  organizationName: string;
  /** The app's `taskd.io/task-network` annotation: 'off' takes the network from its tasks. */
  appTaskNetwork: string | null;
}

export type ClaimedTask = TaskRow & LaunchContext;

/** The app annotation that takes the network from the app's tasks: `taskd.io/task-network: off`. */
export const TASK_NETWORK_ANNOTATION = { prefix: 'taskd.io', name: 'task-network' };

/**
 * A task's app, space and organization, as scalar subqueries in RETURNING (SQLite's RETURNING may
 * not name joined tables): one statement per claim, not two.
 */
const launchContext = ({ selectFrom }: ExpressionBuilder<Database, 'tasks'>) => [
  selectFrom('apps').select('apps.guid').whereRef('apps.id', '=', 'tasks.app_id').as('appGuid'),
  selectFrom('apps').select('apps.name').whereRef('apps.id', '=', 'tasks.app_id').as('appName'),
  selectFrom('apps').select('apps.environment_variables').whereRef('apps.id', '=', 'tasks.app_id').as('environmentVariables'),
  selectFrom('spaces').select('spaces.guid').whereRef('spaces.id', '=', 'tasks.space_id').as('spaceGuid'),
  selectFrom('spaces').select('spaces.name').whereRef('spaces.id', '=', 'tasks.space_id').as('spaceName'),
  selectFrom('organizations').select('organizations.guid').whereRef('organizations.id', '=', 'tasks.organization_id').as('organizationGuid'),
  selectFrom('organizations').select('organizations.name').whereRef('organizations.id', '=', 'tasks.organization_id').as('organizationName'),
  selectFrom('metadata')
    .select('metadata.value')
    .where('metadata.resource_kind', '=', 'app')
    .whereRef('metadata.resource_id', '=', 'tasks.app_id')
    .where('metadata.metadata_kind', '=', 'annotation')
    .where('metadata.key_prefix', '=', TASK_NETWORK_ANNOTATION.prefix)
    .where('metadata.key_name', '=', TASK_NETWORK_ANNOTATION.name)
    .as('appTaskNetwork'),
];

type WithLaunchContext = TaskRow & { [K in keyof LaunchContext]: LaunchContext[K] | null };

/**
 * RETURNING has no order; tasks start oldest first. A task whose app is gone (it cannot be:
 * deleting an app deletes its tasks in the same transaction) would have no launch context.
 */
function withLaunchContext(rows: WithLaunchContext[]): ClaimedTask[] {
  const tasks = rows.filter((t): t is ClaimedTask => t.appGuid != null && t.spaceGuid != null && t.organizationGuid != null);
  return tasks.sort((a, b) => a.id - b.id);
}

/** How a task's end was recorded: the state it ended in, and when. */
export interface RecordedFinish {
  state: string;
  finishedAt: string;
}

/** A task finished because its runner was gone, and which runner that was (host and pid). */
export interface LostTask {
  id: number;
  guid: string;
  runner: string;
}

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

  /**
   * Moves up to `limit` PENDING tasks, oldest first, to RUNNING for this runner in one statement;
   * with `maxMemoryMb`, only tasks that ask for no more memory than that.
   * On PostgreSQL the candidate rows are locked with SKIP LOCKED so concurrent runners each take
   * different tasks instead of queueing behind one another; SQLite has a single writer anyway.
   * The candidates are a CTE, evaluated once: as a plain `IN (subquery)` PostgreSQL may rescan
   * the subquery and claim more rows than the limit (seen here: 4 claimed for 2 free slots).
   */
  async claim(limit: number, maxMemoryMb?: number): Promise<ClaimedTask[]> {
    const now = nowIso();
    // The app, space and organization come with the claim (launchContext).
    const claimed = await this.db
      .with('oldest', (db) => {
        let oldest = db.selectFrom('tasks').select('id').where('state', 'in', TRANSITIONS.claim.from).orderBy('id').limit(limit);
        // Only what fits this node's free memory: a bigger task waits for a node that has room.
        if (maxMemoryMb !== undefined) oldest = oldest.where('memory_in_mb', '<=', maxMemoryMb);
        return this.dialect === 'postgres' ? oldest.forUpdate().skipLocked() : oldest;
      })
      .updateTable('tasks')
      .set({ state: TRANSITIONS.claim.to, runner_id: this.runnerId, started_at: now, updated_at: now })
      .where('id', 'in', (eb) => eb.selectFrom('oldest').select('oldest.id'))
      .where('state', 'in', TRANSITIONS.claim.from)
      .returningAll()
      .returning(launchContext)
      .execute();
    return withLaunchContext(claimed);
  }

  /**
   * Takes the tasks of these guids that are still held by a runner (RUNNING, PAUSING, PAUSED or
   * CANCELING) for this one: after a restart of taskd, the supervisor still runs them.
   */
  async adopt(guids: readonly string[]): Promise<ClaimedTask[]> {
    if (!guids.length) return [];
    const adopted = await this.db
      .updateTable('tasks')
      .set({ runner_id: this.runnerId, updated_at: nowIso() })
      .where('guid', 'in', guids)
      .where('state', 'in', RUNNER_HELD_STATES)
      .returningAll()
      .returning(launchContext)
      .execute();
    return withLaunchContext(adopted);
  }

  /**
   * Records how a task of this runner ended. A task that was CANCELING ends FAILED "task was
   * cancelled" whatever its process did. Resolves undefined when the row is gone or already final.
   * Tasks that end close together are recorded together: one UPDATE per distinct outcome for all
   * the tasks queued while the previous batch was written (group commit).
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
            const recorded = await this.finishMany(group.map((e) => e.taskId), group[0]!.outcome);
            for (const entry of group) entry.resolve(recorded.get(entry.taskId));
          } catch (err) {
            for (const entry of group) entry.reject(err);
          }
        }),
      );
    }
    this.finishing = false;
  }

  /**
   * The end and the runner's message saying it ("exited with status 0", "cancelled", …) commit
   * together: whoever sees the task final finds how it ended in its messages.
   */
  private async finishMany(taskIds: number[], outcome: TaskOutcome): Promise<Map<number, RecordedFinish>> {
    const now = nowIso();
    return this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('tasks')
        .set((eb) => ({
          state: sql<string>`case when state = 'CANCELING' then ${TRANSITIONS.fail.to} else ${outcome.state} end`,
          failure_reason: sql<string | null>`case when state = 'CANCELING' then ${FAILURE.cancelled} else ${outcome.failureReason} end`,
          exit_status: outcome.exitStatus,
          ...(outcome.logBytesDropped ? { log_bytes_dropped: outcome.logBytesDropped } : {}),
          message_count: eb('message_count', '+', 1),
          finished_at: now,
          updated_at: now,
        }))
        .where('id', taskIds.length === 1 ? '=' : 'in', taskIds.length === 1 ? taskIds[0]! : taskIds)
        .where('runner_id', '=', this.runnerId)
        // RUNNING, PAUSING, PAUSED or CANCELING: the states a process can end from (succeed's and
        // fail's common ground).
        .where('state', 'in', TRANSITIONS.succeed.from)
        .returning(['id', 'state', 'failure_reason', 'message_count'])
        .execute();
      if (updated.length) {
        const messages = updated.map((task) => ({ task_id: task.id, seq: task.message_count, time: now, source: 'runner', text: endMessage(task) }));
        await trx.insertInto('task_messages').values(messages).execute();
      }
      return new Map(updated.map((r) => [r.id, { state: r.state, finishedAt: now }]));
    });
  }

  /** Output of a task whose row was deleted while it ran must not linger without its task. */
  async dropLogsOfDeletedTask(taskId: number): Promise<void> {
    const exists = await this.db.selectFrom('tasks').select('id').where('id', '=', taskId).executeTakeFirst();
    if (!exists) await this.db.deleteFrom('task_log_lines').where('task_id', '=', taskId).execute();
  }

  /**
   * This runner's tasks that were moved to CANCELING, PAUSING or PAUSED (possibly on another
   * node), by guid. Its other tasks are RUNNING (or gone): what a resume leaves.
   */
  async followedStates(): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('tasks')
      .select(['guid', 'state'])
      .where('runner_id', '=', this.runnerId)
      .where('state', 'in', [TRANSITIONS.cancel.to, TRANSITIONS.pause.to, TRANSITIONS.frozen.to])
      .execute();
    return new Map(rows.map((r) => [r.guid, r.state]));
  }

  /** The runner froze a PAUSING task's group: PAUSED, unless it was resumed or cancelled meanwhile. */
  async markPaused(taskId: number): Promise<boolean> {
    const result = await this.db
      .updateTable('tasks')
      .set({ state: TRANSITIONS.frozen.to, updated_at: nowIso() })
      .where('id', '=', taskId)
      .where('runner_id', '=', this.runnerId)
      .where('state', 'in', TRANSITIONS.frozen.from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Which of these task ids still have a row. */
  async existingIds(ids: readonly number[]): Promise<Set<number>> {
    if (!ids.length) return new Set();
    const rows = await this.db.selectFrom('tasks').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => r.id));
  }

  /**
   * A task cancelled before any runner claimed it has no process to stop: it ends here. Limited
   * to one guid when the signal names it, else every such task.
   */
  async failUnclaimedCancels(guid?: string): Promise<number> {
    const now = nowIso();
    let update = this.db
      .updateTable('tasks')
      .set({ state: TRANSITIONS.fail.to, failure_reason: FAILURE.cancelled, finished_at: now, updated_at: now })
      .where('state', '=', 'CANCELING')
      .where('runner_id', 'is', null);
    if (guid) update = update.where('guid', '=', guid);
    const result = await update.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Tasks still RUNNING, PAUSING, PAUSED or CANCELING whose runner is gone — its row missing or
   * its heartbeat older than the lease — can never report an outcome: they fail "Unable to
   * determine completion status". A CANCELING one was asked to end: it ends cancelled, once its
   * grace has passed since the cancel. Live runners (this one included, and those of other
   * nodes) keep fresh heartbeats, so their tasks are never touched.
   */
  async failTasksOfDeadRunners(leaseSeconds: number, graceSeconds: number): Promise<LostTask[]> {
    const cutoff = new Date(Date.now() - leaseSeconds * 1000).toISOString();
    const graceCutoff = new Date(Date.now() - graceSeconds * 1000).toISOString();
    const now = nowIso();
    // With their messages, in one transaction: nobody reads a lost task without the node named.
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('tasks')
        .set({
          state: TRANSITIONS.fail.to,
          failure_reason: sql<string>`case when state = 'CANCELING' then ${FAILURE.cancelled} else ${FAILURE.unknownCompletion} end`,
          finished_at: now,
          updated_at: now,
        })
        .where('state', 'in', RUNNER_HELD_STATES)
        .where('runner_id', 'is not', null)
        .where('runner_id', '!=', this.runnerId)
        .where((eb) => eb.or([eb('state', '!=', 'CANCELING'), eb('cancel_requested_at', 'is', null), eb('cancel_requested_at', '<=', graceCutoff)]))
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('runners').select('runners.id').whereRef('runners.id', '=', 'tasks.runner_id').where('runners.heartbeat_at', '>', cutoff))),
        )
        .returning(['id', 'guid', 'runner_id'])
        .execute();
      if (!result.length) return [];
      const runnerIds = [...new Set(result.map((t) => t.runner_id!))];
      const runners = await trx.selectFrom('runners').select(['id', 'hostname', 'pid']).where('id', 'in', runnerIds).execute();
      const named = new Map(runners.map((r) => [r.id, `${r.hostname} (pid ${r.pid})`]));
      const lost = result.map((t) => ({ id: t.id, guid: t.guid, runner: named.get(t.runner_id!) ?? `runner ${t.runner_id}` }));
      // The failure reason stays CF's own words; the task's messages name the node that was lost.
      for (const task of lost) await appendTaskMessage(trx, task.id, 'runner', lostRunnerMessage(task.runner, leaseSeconds));
      return lost;
    });
  }
}
