// Every change of a task's state, each one guarded UPDATE whose WHERE names the states
// TRANSITIONS (core/task-states.ts) allows it to leave from, so runners on several nodes and the
// API can race without producing an illegal state. The affected rows say whether it happened.
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { Database, TaskRow } from '../schema.js';
import { FAILURE, RUNNER_HELD_STATES, TERMINAL_STATES, TRANSITIONS, type TaskState } from '../../core/task-states.js';
import type { TaskOutcome } from '../../core/task-outcome.js';
import { endMessage, lostRunnerMessage, PAUSED_MESSAGE, RESUMED_MESSAGE } from '../../core/runner-messages.js';
import { nowIso } from '../../core/time.js';
import { appendTaskMessage, insertCountedMessages } from './messages.js';
import { launchContext, withLaunchContext, type ClaimedTask } from './launch-context.js';
import { leaseCutoff, runnerNames } from '../runners.js';

const CANCELING: TaskState = 'CANCELING';
const PENDING: TaskState = 'PENDING';

/** Who may be given a slot by one claim. */
export interface ClaimRules {
  /** Only tasks that ask for no more memory than this (what this node has free). */
  maxMemoryMb?: number;
  /** Tasks an organization, and a space, may hold on runners at once over all nodes; 0: no limit. */
  orgRunningLimit: number;
  spaceRunningLimit: number;
  /** Reserved slots: only organizations with nothing held on any runner, one task each. */
  idleOrgsOnly?: boolean;
}

/** Far above any quota: what "no limit" compares against. */
const NO_LIMIT = 2 ** 31 - 1;

/**
 * Moves up to `limit` PENDING tasks to RUNNING for this runner in one statement, fairly: the
 * organizations holding the fewest tasks on runners go first, and within one the spaces holding
 * the fewest, oldest first in a space; each takes turns as if claimed one at a time (its k-th task
 * here counts as holding k-1 more). An organization or space at its running limit waits, PENDING.
 * The waiting spaces come from the task counters and each gives at most `limit` of its oldest
 * tasks from the queue's key (migration 011), so a claim reads a few rows per waiting space
 * however many tasks wait.
 * On PostgreSQL claims take turns on a transaction-level advisory lock (per schema): each then
 * sees the running counts the previous one committed, so limits hold across nodes. The chosen
 * rows are still locked with SKIP LOCKED, so a row an API request is changing is passed over
 * rather than waited for. The candidates are a materialized CTE, evaluated once: as a plain
 * `IN (subquery)` PostgreSQL may rescan it and claim more rows than the limit.
 */
export async function claimTasks(
  db: Kysely<Database>,
  dialect: DialectName,
  runnerId: string,
  limit: number,
  rules: ClaimRules,
): Promise<ClaimedTask[]> {
  if (limit <= 0) return [];
  if (dialect === 'sqlite') return withLaunchContext(await claimChosen(db, dialect, runnerId, limit, rules));
  const claimed = await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${CLAIM_LOCK}, hashtext(current_schema()))`.execute(trx);
    return claimChosen(trx, dialect, runnerId, limit, rules);
  });
  return withLaunchContext(claimed);
}

/** The advisory lock class of claims (with the schema's hash as the second key). */
const CLAIM_LOCK = 4_711_017;

function claimChosen(db: Kysely<Database>, dialect: DialectName, runnerId: string, limit: number, rules: ClaimRules) {
  const now = nowIso();
  return (
    db
      .with(
        (cte) => cte('chosen').materialized(),
        () => fairCandidates(dialect, limit, rules),
      )
      .updateTable('tasks')
      .set({ state: TRANSITIONS.claim.to, runner_id: runnerId, started_at: now, updated_at: now })
      .where('id', 'in', (eb) => eb.selectFrom('chosen').select('chosen.id'))
      .where('state', 'in', TRANSITIONS.claim.from)
      .returningAll()
      // The app, space and organization come with the claim (launchContext).
      .returning(launchContext)
      .execute()
  );
}

/** The ids of the tasks a claim takes (see claimTasks), as one statement. */
function fairCandidates(dialect: DialectName, limit: number, rules: ClaimRules) {
  const held = sql.join(RUNNER_HELD_STATES);
  const orgLimit = rules.orgRunningLimit > 0 ? rules.orgRunningLimit : NO_LIMIT;
  const spaceLimit = rules.spaceRunningLimit > 0 ? rules.spaceRunningLimit : NO_LIMIT;
  const fits = rules.maxMemoryMb === undefined ? sql`` : sql`and q.memory_in_mb <= ${rules.maxMemoryMb}`;
  const fitsOldest = rules.maxMemoryMb === undefined ? sql`` : sql`and o.memory_in_mb <= ${rules.maxMemoryMb}`;
  // A reserved slot takes the oldest task of an idle organization: one per space is enough.
  const perSpace = rules.idleOrgsOnly ? 1 : limit;
  const idleOrgs = rules.idleOrgsOnly ? sql`and org_running = 0` : sql``;
  const idleOnly = rules.idleOrgsOnly ? sql`and org_turn = 1` : sql``;
  // Each waiting space's oldest PENDING tasks, from the queue's key (migration 011): LATERAL on
  // PostgreSQL; SQLite has none, so there the range ends at the space's perSpace-th oldest.
  const oldestOfSpace =
    dialect === 'postgres'
      ? sql`cross join lateral (select q.id from task_queue q
            where q.space_id = s.space_id ${fits} order by q.id limit ${perSpace}) q`
      : sql`join task_queue q on q.space_id = s.space_id ${fits}
            and q.id <= coalesce((select o.id from task_queue o where o.space_id = s.space_id ${fitsOldest}
              order by o.id limit 1 offset ${perSpace - 1}), ${Number.MAX_SAFE_INTEGER})`;
  // Only the first `limit` organizations (fewest running, then oldest waiting task) and the first
  // `limit` spaces of each can be given a task by this claim: the queue is read for those alone,
  // so a tenant with a thousand waiting spaces costs one counter and one key lookup for each.
  const chosen = sql<{ id: number }>`
    with waiting_spaces as (
      select w.space_id, w.organization_id,
        (select coalesce(sum(r.count), 0) from task_counts r where r.space_id = w.space_id and r.state in (${held})) as space_running,
        (select min(o.id) from task_queue o where o.space_id = w.space_id ${fitsOldest}) as oldest
      from task_counts w where w.state = ${PENDING} and w.count > 0
    ), open_spaces as (
      select space_id, organization_id, space_running, oldest from waiting_spaces
      where space_running < ${spaceLimit} and oldest is not null
    ), waiting_orgs as (
      select g.organization_id, g.oldest,
        (select coalesce(sum(r.count), 0) from task_counts r where r.organization_id = g.organization_id and r.state in (${held})) as org_running
      from (select organization_id, min(oldest) as oldest from open_spaces group by organization_id) g
    ), first_orgs as (
      select organization_id, org_running, row_number() over (order by org_running, oldest) as org_rank
      from waiting_orgs where org_running < ${orgLimit} ${idleOrgs}
    ), first_spaces as (
      select s.space_id, s.organization_id, s.space_running, o.org_running,
        row_number() over (partition by s.organization_id order by s.space_running, s.oldest) as space_rank
      from open_spaces s join first_orgs o on o.organization_id = s.organization_id
      where o.org_rank <= ${limit}
    ), candidates as (
      select q.id, s.organization_id, s.space_running, s.org_running,
        row_number() over (partition by s.space_id order by q.id) as space_turn
      from (select * from first_spaces where space_rank <= ${limit}) s ${oldestOfSpace}
    ), ranked as (
      select id, org_running,
        row_number() over (partition by organization_id order by space_running + space_turn, id) as org_turn
      from candidates where space_running + space_turn <= ${spaceLimit}
    )
    select id from ranked where org_running + org_turn <= ${orgLimit} ${idleOnly}
    order by org_running + org_turn, id limit ${limit}`;
  // PostgreSQL locks the chosen rows (the window functions above cannot carry FOR UPDATE).
  // Parenthesised here: Kysely writes a raw CTE body as it is.
  return dialect === 'postgres'
    ? sql<{ id: number }>`(select l.id from tasks l where l.id in (${chosen}) and l.state = ${PENDING} for update skip locked)`
    : sql<{ id: number }>`(${chosen})`;
}

/**
 * Takes the tasks of these guids that are still held by a runner (RUNNING, PAUSING, PAUSED or
 * CANCELING) for this one: after a restart of taskd, the supervisor still runs them.
 */
export async function adoptTasks(db: Kysely<Database>, runnerId: string, guids: readonly string[]): Promise<ClaimedTask[]> {
  if (!guids.length) return [];
  const adopted = await db
    .updateTable('tasks')
    .set({ runner_id: runnerId, updated_at: nowIso() })
    .where('guid', 'in', guids)
    .where('state', 'in', RUNNER_HELD_STATES)
    .returningAll()
    .returning(launchContext)
    .execute();
  return withLaunchContext(adopted);
}

/** How a task's end was recorded: the state it ended in, and when. */
export interface RecordedFinish {
  state: string;
  finishedAt: string;
}

/**
 * Records how these tasks of this runner ended, all with one outcome, and the runner's message
 * saying it ("exited with status 0", "cancelled", …) in the same transaction: whoever sees the task
 * final finds how it ended in its messages. A task that was CANCELING ends FAILED "task was
 * cancelled" whatever its process did. Tasks whose row is gone or already final are left out.
 */
export async function recordTaskEnds(
  db: Kysely<Database>,
  runnerId: string,
  taskIds: readonly number[],
  outcome: TaskOutcome,
): Promise<Map<number, RecordedFinish>> {
  const now = nowIso();
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('tasks')
      .set((eb) => ({
        state: sql<string>`case when state = ${CANCELING} then ${TRANSITIONS.fail.to} else ${outcome.state} end`,
        failure_reason: sql<string | null>`case when state = ${CANCELING} then ${FAILURE.cancelled} else ${outcome.failureReason} end`,
        exit_status: outcome.exitStatus,
        ...(outcome.logBytesDropped ? { log_bytes_dropped: outcome.logBytesDropped } : {}),
        // The end message's seq, taken in the same statement (messages.ts).
        message_count: eb('message_count', '+', 1),
        finished_at: now,
        updated_at: now,
      }))
      .where('id', taskIds.length === 1 ? '=' : 'in', taskIds.length === 1 ? taskIds[0]! : taskIds)
      .where('runner_id', '=', runnerId)
      // RUNNING, PAUSING, PAUSED or CANCELING: the states a process can end from (succeed's and
      // fail's common ground).
      .where('state', 'in', TRANSITIONS.succeed.from)
      .returning(['id', 'state', 'failure_reason', 'message_count'])
      .execute();
    await insertCountedMessages(
      trx,
      updated.map((task) => ({ task_id: task.id, seq: task.message_count, time: now, source: 'runner', text: endMessage(task) })),
    );
    return new Map(updated.map((r) => [r.id, { state: r.state, finishedAt: now }]));
  });
}

/**
 * The runner froze a PAUSING task's group: PAUSED, unless it was resumed or cancelled meanwhile,
 * with the runner's message saying so in the same transaction (as an end is recorded).
 */
export async function markPaused(db: Kysely<Database>, runnerId: string, taskId: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const now = nowIso();
    const paused = await trx
      .updateTable('tasks')
      .set((eb) => ({ state: TRANSITIONS.frozen.to, message_count: eb('message_count', '+', 1), updated_at: now }))
      .where('id', '=', taskId)
      .where('runner_id', '=', runnerId)
      .where('state', 'in', TRANSITIONS.frozen.from)
      .returning(['message_count'])
      .executeTakeFirst();
    if (!paused) return false;
    await insertCountedMessages(trx, [{ task_id: taskId, seq: paused.message_count, time: now, source: 'runner', text: PAUSED_MESSAGE }]);
    return true;
  });
}

/**
 * taskd's decision for a task cancelled before any runner claimed it: runners claim only PENDING
 * tasks, so once it is CANCELING with no runner, nobody ever would finish it. It ends here, the
 * way a runner would finish a cancelled task. A runner that claimed it in the meantime has set
 * runner_id, and the guard leaves the task to that runner. Limited to one task when given
 * (right after its cancel commits), else every such task. Returns how many ended.
 */
export async function failUnclaimedCancels(db: Kysely<Database>, task?: { id: number } | { guid: string }): Promise<number> {
  const now = nowIso();
  let update = db
    .updateTable('tasks')
    .set({ state: TRANSITIONS.fail.to, failure_reason: FAILURE.cancelled, finished_at: now, updated_at: now })
    .where('state', '=', CANCELING)
    .where('runner_id', 'is', null);
  if (task && 'id' in task) update = update.where('id', '=', task.id);
  else if (task) update = update.where('guid', '=', task.guid);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A task finished because its runner was gone, and which runner that was (host and pid). */
export interface LostTask {
  id: number;
  guid: string;
  runner: string;
}

/**
 * Tasks still RUNNING, PAUSING, PAUSED or CANCELING whose runner is gone — its row missing or
 * its heartbeat older than the lease — can never report an outcome: they fail "Unable to
 * determine completion status". A CANCELING one was asked to end: it ends cancelled, once its
 * grace has passed since the cancel. Live runners (the asking one included, and those of other
 * nodes) keep fresh heartbeats, so their tasks are never touched.
 */
export async function failTasksOfLostRunners(
  db: Kysely<Database>,
  askingRunnerId: string,
  leaseSeconds: number,
  graceSeconds: number,
): Promise<LostTask[]> {
  const cutoff = leaseCutoff(leaseSeconds);
  const graceCutoff = new Date(Date.now() - graceSeconds * 1000).toISOString();
  const now = nowIso();
  // With their messages, in one transaction: nobody reads a lost task without the node named.
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('tasks')
      .set({
        state: TRANSITIONS.fail.to,
        failure_reason: sql<string>`case when state = ${CANCELING} then ${FAILURE.cancelled} else ${FAILURE.unknownCompletion} end`,
        finished_at: now,
        updated_at: now,
      })
      .where('state', 'in', RUNNER_HELD_STATES)
      .where('runner_id', 'is not', null)
      .where('runner_id', '!=', askingRunnerId)
      .where((eb) =>
        eb.or([eb('state', '!=', CANCELING), eb('cancel_requested_at', 'is', null), eb('cancel_requested_at', '<=', graceCutoff)]),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('runners')
              .select('runners.id')
              .whereRef('runners.id', '=', 'tasks.runner_id')
              .where('runners.heartbeat_at', '>', cutoff),
          ),
        ),
      )
      .returning(['id', 'guid', 'runner_id'])
      .execute();
    if (!result.length) return [];
    const named = await runnerNames(trx, [...new Set(result.map((t) => t.runner_id!))]);
    const lost = result.map((t) => ({ id: t.id, guid: t.guid, runner: named.get(t.runner_id!) ?? `runner ${t.runner_id}` }));
    // The failure reason stays CF's own words; the task's messages name the node that was lost.
    for (const task of lost) await appendTaskMessage(trx, task.id, 'runner', lostRunnerMessage(task.runner, leaseSeconds));
    return lost;
  });
}

/** Fails the tasks PENDING since before `createdBefore` (asking for more than `memoryAbove` MB, if given) with this reason. Returns how many. */
export async function expirePendingTasks(
  db: Kysely<Database>,
  createdBefore: string,
  reason: string,
  memoryAbove?: number,
): Promise<number> {
  const now = nowIso();
  let query = db
    .updateTable('tasks')
    .set({ state: TRANSITIONS.fail.to, failure_reason: reason, finished_at: now, updated_at: now })
    .where('state', '=', PENDING)
    .where('created_at', '<', createdBefore);
  if (memoryAbove !== undefined) query = query.where('memory_in_mb', '>', memoryAbove);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Moves the task and its unfinished subtasks, theirs in turn (through finished ones too), to
 * CANCELING in one statement, and returns the rows it moved. One statement, not one per
 * generation: on PostgreSQL each tasks UPDATE ends by locking the task counters (migration 003),
 * and a second UPDATE waiting for a subtask row that a runner is finishing — while that runner
 * waits for the counters — deadlocks. Subtasks already CANCELING are left alone (their own cancel
 * cascaded); the task itself may be cancelled again.
 */
export function requestCancelOfTree(trx: Kysely<Database>, taskId: number): Promise<TaskRow[]> {
  const now = nowIso();
  const subtaskFrom = TRANSITIONS.cancel.from.filter((s) => s !== TRANSITIONS.cancel.to);
  return trx
    .withRecursive('tree(guid)', (db) =>
      db
        .selectFrom('tasks')
        .select('tasks.guid')
        .where('tasks.id', '=', taskId)
        .unionAll((db) => db.selectFrom('tasks as sub').innerJoin('tree', 'tree.guid', 'sub.parent_task_guid').select('sub.guid')),
    )
    .updateTable('tasks')
    .set((eb) => ({
      state: TRANSITIONS.cancel.to,
      cancel_requested_at: eb.fn.coalesce('cancel_requested_at', eb.val(now)),
      updated_at: now,
    }))
    .where('guid', 'in', (eb) => eb.selectFrom('tree').select('tree.guid'))
    .where((eb) =>
      eb.or([
        eb.and([eb('id', '=', taskId), eb('state', 'in', TRANSITIONS.cancel.from)]),
        eb.and([eb('id', '!=', taskId), eb('state', 'in', subtaskFrom)]),
      ]),
    )
    .returningAll()
    .execute();
}

/**
 * Pause (RUNNING → PAUSING) or resume (PAUSING/PAUSED → RUNNING); undefined when the task was not
 * in a state to. A resume says so in the task's messages at once (the task runs from this commit);
 * a pause says so once the runner has frozen it (markPaused).
 */
export async function requestPauseChange(trx: Kysely<Database>, taskId: number, event: 'pause' | 'resume'): Promise<TaskRow | undefined> {
  const { from, to } = TRANSITIONS[event];
  const now = nowIso();
  const row = await trx
    .updateTable('tasks')
    .set((eb) => ({ state: to, updated_at: now, ...(event === 'resume' ? { message_count: eb('message_count', '+', 1) } : {}) }))
    .where('id', '=', taskId)
    .where('state', 'in', from)
    .returningAll()
    .executeTakeFirst();
  if (row && event === 'resume')
    await insertCountedMessages(trx, [{ task_id: taskId, seq: row.message_count, time: now, source: 'runner', text: RESUMED_MESSAGE }]);
  return row;
}

/** Marks a finished task dismissed by this user (Dbvisit); undefined when it is unfinished, gone or dismissed already. */
export function dismissFinishedTask(trx: Kysely<Database>, taskId: number, userGuid: string): Promise<TaskRow | undefined> {
  const now = nowIso();
  return trx
    .updateTable('tasks')
    .set({ dismissed_by: userGuid, dismissed_at: now, updated_at: now })
    .where('id', '=', taskId)
    .where('state', 'in', TERMINAL_STATES)
    .where('dismissed_by', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Sets the progress of a task in one of these states. The guard keeps the percentage from moving
 * backwards even when two reports race; an equal percentage may change the message. False when
 * the guard refused it.
 */
export async function setTaskProgress(
  db: Kysely<Database>,
  taskId: number,
  progress: { percent: number; message: string | null },
  inStates: readonly string[],
): Promise<boolean> {
  const updated = await db
    .updateTable('tasks')
    .set({ progress_percent: progress.percent, progress_message: progress.message, updated_at: nowIso() })
    .where('id', '=', taskId)
    .where('state', 'in', inStates)
    .where((eb) => eb.or([eb('progress_percent', 'is', null), eb('progress_percent', '<=', progress.percent)]))
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

/** The task as it is now, after a guarded change found it elsewhere (undefined: deleted). */
export function currentTask(db: Kysely<Database>, taskId: number): Promise<TaskRow | undefined> {
  return db.selectFrom('tasks').selectAll().where('id', '=', taskId).executeTakeFirst();
}
