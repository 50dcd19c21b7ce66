// The runner's reads and writes of tasks. Every state change is one guarded UPDATE whose WHERE
// names the states TRANSITIONS allows to leave from, so runners on several nodes and the API can
// race without producing an illegal state.
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../store/database.js';
import type { Database, TaskRow } from '../store/schema.js';
import { FAILURE, TRANSITIONS } from '../core/task-states.js';
import { nowIso } from '../core/time.js';
import type { TaskOutcome } from './outcome.js';

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
}

export type ClaimedTask = TaskRow & LaunchContext;

export class RunnerTaskStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    private readonly runnerId: string,
  ) {}

  /**
   * Moves up to `limit` PENDING tasks, oldest first, to RUNNING for this runner in one statement.
   * On PostgreSQL the candidate rows are locked with SKIP LOCKED so concurrent runners each take
   * different tasks instead of queueing behind one another; SQLite has a single writer anyway.
   * The candidates are a CTE, evaluated once: as a plain `IN (subquery)` PostgreSQL may rescan
   * the subquery and claim more rows than the limit (seen here: 4 claimed for 2 free slots).
   */
  async claim(limit: number): Promise<ClaimedTask[]> {
    const now = nowIso();
    const claimed = await this.db
      .with('oldest', (db) => {
        const oldest = db.selectFrom('tasks').select('id').where('state', 'in', TRANSITIONS.claim.from).orderBy('id').limit(limit);
        return this.dialect === 'postgres' ? oldest.forUpdate().skipLocked() : oldest;
      })
      .updateTable('tasks')
      .set({ state: TRANSITIONS.claim.to, runner_id: this.runnerId, started_at: now, updated_at: now })
      .where('id', 'in', (eb) => eb.selectFrom('oldest').select('oldest.id'))
      .where('state', 'in', TRANSITIONS.claim.from)
      .returning('id')
      .execute();
    if (!claimed.length) return [];
    const rows = await this.db
      .selectFrom('tasks')
      .innerJoin('apps', 'apps.id', 'tasks.app_id')
      .innerJoin('spaces', 'spaces.id', 'tasks.space_id')
      .innerJoin('organizations', 'organizations.id', 'tasks.organization_id')
      .selectAll('tasks')
      .select([
        'apps.guid as appGuid', 'apps.name as appName', 'apps.environment_variables as environmentVariables',
        'spaces.guid as spaceGuid', 'spaces.name as spaceName',
        'organizations.guid as organizationGuid', 'organizations.name as organizationName',
      ])
      .where('tasks.id', 'in', claimed.map((c) => c.id))
      .orderBy('tasks.id')
      .execute();
    // A claimed task whose app vanished in between has no row here; deleting the app deletes it.
    return rows;
  }

  /**
   * Records how a task of this runner ended. A task that was CANCELING ends FAILED "task was
   * cancelled" whatever its process did. Returns false when the row is gone or already final.
   */
  async finish(taskId: number, outcome: TaskOutcome): Promise<boolean> {
    const now = nowIso();
    const updated = await this.db
      .updateTable('tasks')
      .set({
        state: sql<string>`case when state = 'CANCELING' then ${TRANSITIONS.fail.to} else ${outcome.state} end`,
        failure_reason: sql<string | null>`case when state = 'CANCELING' then ${FAILURE.cancelled} else ${outcome.failureReason} end`,
        exit_status: outcome.exitStatus,
        finished_at: now,
        updated_at: now,
      })
      .where('id', '=', taskId)
      .where('runner_id', '=', this.runnerId)
      // RUNNING or CANCELING: the states a process can end from (succeed's and fail's common ground).
      .where('state', 'in', TRANSITIONS.succeed.from)
      .returning('id')
      .executeTakeFirst();
    return updated !== undefined;
  }

  /** Output of a task whose row was deleted while it ran must not linger without its task. */
  async dropLogsOfDeletedTask(taskId: number): Promise<void> {
    const exists = await this.db.selectFrom('tasks').select('id').where('id', '=', taskId).executeTakeFirst();
    if (!exists) await this.db.deleteFrom('task_log_lines').where('task_id', '=', taskId).execute();
  }

  /** Guids of this runner's tasks that were moved to CANCELING (possibly on another node). */
  async cancelingGuids(): Promise<string[]> {
    const rows = await this.db.selectFrom('tasks').select('guid').where('runner_id', '=', this.runnerId).where('state', '=', 'CANCELING').execute();
    return rows.map((r) => r.guid);
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
   * Tasks still RUNNING or CANCELING whose runner is gone — its row missing or its heartbeat
   * older than the lease — can never report an outcome. Live runners (this one included, and
   * those of other nodes) keep fresh heartbeats, so their tasks are never touched.
   */
  async failTasksOfDeadRunners(leaseSeconds: number): Promise<number> {
    const cutoff = new Date(Date.now() - leaseSeconds * 1000).toISOString();
    const now = nowIso();
    const result = await this.db
      .updateTable('tasks')
      .set({ state: TRANSITIONS.fail.to, failure_reason: FAILURE.unknownCompletion, finished_at: now, updated_at: now })
      .where('state', 'in', ['RUNNING', 'CANCELING'])
      .where('runner_id', 'is not', null)
      .where('runner_id', '!=', this.runnerId)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('runners').select('runners.id').whereRef('runners.id', '=', 'tasks.runner_id').where('runners.heartbeat_at', '>', cutoff))),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
