// Creating a task (spec §1, §4, §9, §11). The caller has validated the body, found the app and
// checked write access and the requested droplet; here follow CF's action checks in CF's order,
// then one transaction that takes the app's next sequence id, inserts the task with its metadata,
// idempotency key and audit event. The runner is signalled after commit.
import type { Kysely, Transaction } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import type { Config } from '../config.js';
import { ApiError, notFound, unprocessable } from '../core/errors.js';
import { newGuid, randomTaskName } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import { FAILURE, type TaskState } from '../core/task-states.js';
import type { AppRow, Database, DropletRow, ProcessRow, TaskRow } from '../store/schema.js';
import type { DialectName } from '../store/database.js';
import { applyMetadataChange, loadMetadata } from '../store/metadata.js';
import type { TaskCreateMessage } from '../api/cf/messages/task.js';
import { presentTask } from '../api/cf/presenters/task.js';
import type { AppInSpace } from '../fetchers/apps.js';
import { anyRunnerAlive } from '../runner/heartbeat.js';
import type { TaskSignals } from '../signals/task-signals.js';
import { recordTaskEvent } from './audit-events.js';
import { ModelErrors } from './model-errors.js';
import { checkQuotas } from './task-quotas.js';
import { claimKey, earlierAnswer, KeyAlreadyClaimed, recordAnswer, type IdempotencyRequest, type PresentedTask } from './task-idempotency.js';

export interface TaskCreateDeps {
  db: Kysely<Database>;
  config: Pick<Config, 'allowedTaskUsers' | 'defaultMemoryInMb' | 'maximumMemoryInMb' | 'defaultDiskInMb' | 'maximumDiskInMb' | 'defaultLogRateLimit' | 'runnerLeaseSeconds' | 'defaultTaskTimeoutSeconds' | 'maximumTaskTimeoutSeconds'>;
  signals: TaskSignals;
  /** PostgreSQL share-locks a subtask's parent; SQLite's one writer needs no lock. */
  dialect?: DialectName;
}

export interface TaskCreateRequest {
  found: AppInSpace;
  msg: TaskCreateMessage;
  /** The droplet the request named (already checked to belong to the app). */
  requestedDroplet?: DropletRow;
  idempotency?: IdempotencyRequest;
  /** Base of the links in the presented task. */
  base: string;
}

/** A droplet of the app by guid, or 404 "Droplet not found". */
export async function requestedDroplet(db: Kysely<Database>, app: AppRow, guid: string): Promise<DropletRow> {
  const droplet = await db.selectFrom('droplets').selectAll().where('guid', '=', guid).where('app_id', '=', app.id).executeTakeFirst();
  if (!droplet) throw notFound('Droplet');
  return droplet;
}

/** Creates the task and answers its presentation (or, for a retried key, the first answer). */
export async function createTask(deps: TaskCreateDeps, actor: Permissions, request: TaskCreateRequest, attempt = 1): Promise<PresentedTask> {
  const { db, config } = deps;
  const { found, msg, idempotency } = request;

  // A retry of an answered request is answered again before anything could have changed its fate
  // (a quota now full, a droplet replaced). The unique key below still decides races.
  if (idempotency) {
    const earlier = await earlierAnswer(db, actor.userGuid, idempotency);
    if (earlier) return earlier;
  }

  const droplet = request.requestedDroplet ?? (await currentDroplet(db, found.app));
  if (!droplet) throw unprocessable('Task must have a droplet. Specify droplet or assign current droplet to app.');
  if (msg.diskInMb !== undefined && msg.diskInMb > config.maximumDiskInMb) {
    throw unprocessable(`Cannot request disk_in_mb greater than ${config.maximumDiskInMb}`);
  }
  // Beside the disk maximum, before the template is looked up; a template's memory is checked once found.
  if (msg.memoryInMb !== undefined) checkMemoryMaximum(msg.memoryInMb, config);
  const maxTimeout = config.maximumTaskTimeoutSeconds;
  if (msg.timeoutSeconds !== undefined && maxTimeout !== undefined && msg.timeoutSeconds > maxTimeout) {
    throw unprocessable(`Timeout in seconds must be less than or equal to ${maxTimeout}`);
  }
  // CF asks its backend to run the task after committing it; taskd's equivalent is whether any
  // runner is alive. Without one the task is committed FAILED (it keeps its sequence id) and the
  // request fails with 503, as CF does when Diego is unreachable.
  const runnable = await anyRunnerAlive(db, config.runnerLeaseSeconds);

  let body: PresentedTask;
  try {
    body = await db.transaction().execute(async (trx) => {
      // First statement: on a reused key this fails before anything else is done, and the whole
      // transaction is rolled back (PostgreSQL could not continue it anyway).
      if (idempotency && runnable) await claimKey(trx, actor.userGuid, idempotency);
      const sequenceId = await takeSequenceId(trx, found.app);
      if (msg.parentTaskGuid !== undefined) await checkParentTask(trx, found.app, msg.parentTaskGuid, deps.dialect === 'postgres');
      const template = msg.templateProcessGuid === undefined ? undefined : await templateProcess(trx, actor, msg.templateProcessGuid);
      const values = await resolveTask(trx, config, found, msg, template);
      const now = nowIso();
      const state: TaskState = runnable ? 'PENDING' : 'FAILED';
      const task = await trx
        .insertInto('tasks')
        .values({
          guid: newGuid(),
          app_id: found.app.id,
          space_id: found.space.id,
          organization_id: found.org.id,
          sequence_id: sequenceId,
          ...values,
          droplet_guid: droplet.guid,
          state,
          failure_reason: runnable ? null : FAILURE.unableToRun,
          exit_status: null,
          timeout_seconds: msg.timeoutSeconds ?? config.defaultTaskTimeoutSeconds ?? null,
          created_by: actor.userGuid,
          runner_id: null,
          started_at: null,
          finished_at: runnable ? null : now,
          cancel_requested_at: null,
          created_at: now,
          updated_at: now,
          parent_task_guid: msg.parentTaskGuid ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await applyMetadataChange(trx, 'task', task.id, msg.metadata);
      await recordTaskEvent(trx, 'audit.app.task.create', actor, found, task);
      const presented = await presentCreated(trx, task, found.app, request.base);
      if (idempotency && runnable) await recordAnswer(trx, actor.userGuid, idempotency.key, task.id, presented);
      return presented;
    });
  } catch (err) {
    if (!(err instanceof KeyAlreadyClaimed) || !idempotency) throw err;
    const earlier = await earlierAnswer(db, actor.userGuid, idempotency);
    if (earlier) return earlier;
    // The claim was released in between (its request rolled back): this one may go ahead.
    if (attempt < 3) return createTask(deps, actor, request, attempt + 1);
    throw err;
  }

  if (!runnable) throw new ApiError('TaskWorkersUnavailable', 'no runner is alive');
  deps.signals.created();
  return body;
}

async function currentDroplet(db: Kysely<Database>, app: AppRow): Promise<DropletRow | undefined> {
  if (app.current_droplet_id === null) return undefined;
  return db.selectFrom('droplets').selectAll().where('id', '=', app.current_droplet_id).executeTakeFirst();
}

/**
 * The app's next sequence id, taken with an atomic increment: the UPDATE locks the app row (on
 * PostgreSQL until commit; SQLite runs one writer at a time), so concurrent creates on one app
 * get consecutive numbers and a rolled-back create gives its number back.
 */
async function takeSequenceId(trx: Transaction<Database>, app: AppRow): Promise<number> {
  const row = await trx
    .updateTable('apps')
    .set((eb) => ({ next_task_sequence_id: eb('next_task_sequence_id', '+', 1) }))
    .where('id', '=', app.id)
    .returning('next_task_sequence_id')
    .executeTakeFirst();
  // Deleted since the request found it.
  if (!row) throw notFound('App');
  return row.next_task_sequence_id - 1;
}

/** States of a parent that may have subtasks created: a cancelled parent's tree is being torn down. */
const PARENT_STATES = ['RUNNING', 'PAUSING', 'PAUSED'];

/**
 * A subtask's parent must be a running task of the same app. Checked after the app row is locked
 * (takeSequenceId), and on PostgreSQL with the parent row share-locked until commit: a cancel of
 * the parent either committed before (and this sees CANCELING) or waits for this subtask to exist
 * and then cancels it too.
 */
async function checkParentTask(trx: Transaction<Database>, app: AppRow, guid: string, lock: boolean): Promise<void> {
  let query = trx.selectFrom('tasks').select(['app_id', 'state']).where('guid', '=', guid);
  if (lock) query = query.forShare();
  const parent = await query.executeTakeFirst();
  if (!parent || parent.app_id !== app.id) throw unprocessable('Invalid parent task. Ensure that it is a task of this app.');
  if (!PARENT_STATES.includes(parent.state)) throw unprocessable(`Parent task state is ${parent.state} and therefore cannot have subtasks`);
}

/**
 * The template process is looked up among all processes, as CF does (not only the app's), but
 * only among those the caller may read: another tenant's process answers exactly as one that
 * does not exist, and one whose command the caller may not see (a space they only audit, say)
 * cannot lend it to a task of theirs.
 */
async function templateProcess(trx: Transaction<Database>, actor: Permissions, guid: string): Promise<TemplateProcess> {
  const found = await trx
    .selectFrom('processes')
    .innerJoin('apps', 'apps.id', 'processes.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .leftJoin('droplets', 'droplets.id', 'apps.current_droplet_id')
    .selectAll('processes')
    .select(['droplets.process_types as droplet_process_types', 'apps.space_id as template_space_id', 'spaces.organization_id as template_organization_id'])
    .where('processes.guid', '=', guid)
    .executeTakeFirst();
  const where = found && { spaceId: found.template_space_id, organizationId: found.template_organization_id };
  if (!found || !actor.canReadSpace(where!)) throw new ApiError('ProcessNotFound', guid);
  if (!actor.canReadSecrets(where!)) throw new ApiError('NotAuthorized');
  const { template_space_id: _space, template_organization_id: _org, ...process } = found;
  return process;
}

type TemplateProcess = ProcessRow & { droplet_process_types: string | null };

/** A process's own command, else the one its app's current droplet detected for its type. */
function commandOf(process: TemplateProcess): string {
  if (process.command !== null) return process.command;
  const types = process.droplet_process_types ? (JSON.parse(process.droplet_process_types) as Record<string, string>) : {};
  return types[process.type] ?? '';
}

type ResolvedTask = Pick<TaskRow, 'name' | 'command' | 'user' | 'memory_in_mb' | 'disk_in_mb' | 'log_rate_limit'>;

/** Applies defaults (request, else template process, else configuration) and the task model's rules. */
async function resolveTask(
  trx: Transaction<Database>,
  config: TaskCreateDeps['config'],
  found: AppInSpace,
  msg: TaskCreateMessage,
  template: TemplateProcess | undefined,
): Promise<ResolvedTask> {
  const name = msg.name === undefined ? randomTaskName() : msg.name;
  const command = msg.command ?? (template ? commandOf(template) : '');
  const user = msg.user ?? template?.user ?? null;
  const memory = msg.memoryInMb ?? template?.memory_in_mb ?? config.defaultMemoryInMb;
  checkMemoryMaximum(memory, config);
  const disk = msg.diskInMb ?? template?.disk_in_mb ?? config.defaultDiskInMb;
  const logRate = msg.logRateLimit ?? template?.log_rate_limit ?? config.defaultLogRateLimit;

  const errors = new ModelErrors();
  const nameIsText = typeof name === 'string';
  // "One or more printable characters"; taskd also caps the length the database would (spec §11).
  if (!nameIsText || name === '' || /\p{Cc}/u.test(name) || name.length > 255) errors.add('name', 'is invalid');
  if (command.trim() === '') errors.add('command', 'is not present');
  if (command.length > 4096) errors.add('command', 'must be shorter than 4097 characters');
  checkUser(user, config.allowedTaskUsers, errors);
  if (nameIsText && name.trim() === '') errors.add('name', 'is not present');
  await checkQuotas(trx, found, { memory, logRate }, errors);
  errors.raise();
  return { name: name as string, command, user, memory_in_mb: memory, disk_in_mb: disk, log_rate_limit: logRate };
}

/**
 * The server's memory maximum holds whatever the memory came from: a process made under an earlier,
 * larger default (or a default changed at runtime) must not lend a task more than the maximum.
 * CF checks only a requested disk_in_mb against its maximum; taskd's memory maximum is a limit of
 * the sandbox, so a template cannot step around it.
 */
function checkMemoryMaximum(memory: number, config: Pick<Config, 'maximumMemoryInMb'>): void {
  if (memory > config.maximumMemoryInMb) throw unprocessable(`Cannot request memory_in_mb greater than ${config.maximumMemoryInMb}`);
}

function checkUser(user: string | null, allowed: readonly string[], errors: ModelErrors): void {
  if (user === null || user.trim() === '') return;
  const permitted = ['vcap', ...allowed];
  if (permitted.some((u) => u.toLowerCase() === user.toLowerCase())) return;
  errors.add('user', `invalid (requested user '${user}' not allowed, permitted users are: ${permitted.map((u) => `'${u}'`).join(', ')})`);
}

async function presentCreated(trx: Transaction<Database>, task: TaskRow, app: AppRow, base: string): Promise<PresentedTask> {
  const metadata = await loadMetadata(trx, 'task', [task.id]);
  return presentTask({ ...task, app_guid: app.guid, droplet_exists: true }, metadata.get(task.id), base, true);
}

