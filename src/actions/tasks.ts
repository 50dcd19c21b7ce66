// Creating a task (spec §1, §4, §9, §11). The dialect reads its request and this action checks
// the caller's right to create the task, the two interleaved in CF's order of checks; then follow
// CF's action checks in CF's order, then one transaction that takes the app's next sequence id,
// inserts the task with its metadata, idempotency key, audit event and the dialect's answer. The
// runner is signalled after commit.
import type { Kysely, Transaction } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import type { Config } from '../config.js';
import { ApiError, notAuthorized, notFound, unprocessable } from '../core/errors.js';
import type { MetadataChange } from '../core/metadata.js';
import { newGuid, randomTaskName } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import { FAILURE, QUOTA_STATES, type TaskState } from '../core/task-states.js';
import type { AppRow, Database, DropletRow, ProcessRow, TaskRow } from '../store/schema.js';
import type { DialectName } from '../store/database.js';
import { applyMetadataChange, metadataOfNew, type PresentedMetadata } from '../store/metadata.js';
import { insertTaskInSequence, parentForSubtask } from '../store/tasks/creation.js';
import type { AppInSpace } from '../fetchers/apps.js';
import { assertFeatureEnabled } from '../fetchers/feature-flags.js';
import { quotasForSpace } from '../fetchers/quotas.js';
import { liveRunners, type LiveRunners } from '../store/runners.js';
import type { TaskSignals } from '../signals/task-signals.js';
import { recordTaskEvent } from './audit-events.js';
import { ModelErrors } from './model-errors.js';
import { checkQuotas } from './task-quotas.js';
import { claimKey, earlierAnswer, KeyAlreadyClaimed, recordAnswer, type IdempotencyRequest } from './task-idempotency.js';
import { assertWritable } from './writable.js';

export interface TaskCreateDeps {
  db: Kysely<Database>;
  config: Pick<
    Config,
    | 'allowedTaskUsers'
    | 'defaultMemoryInMb'
    | 'maximumMemoryInMb'
    | 'defaultDiskInMb'
    | 'maximumDiskInMb'
    | 'defaultLogRateLimit'
    | 'runnerLeaseSeconds'
    | 'defaultTaskTimeoutSeconds'
    | 'maximumTaskTimeoutSeconds'
  >;
  signals: TaskSignals;
  /** PostgreSQL takes the sequence id in the insert, and share-locks a subtask's parent; SQLite's one writer needs neither. */
  dialect: DialectName;
}

/** A task as asked for. Undefined means not asked for: the template process's value, else the server's default. */
export interface TaskCreateInput {
  /** The name as given, whatever its type: whether it is one is the task model's rule, reported among its errors. */
  name?: unknown;
  /** Without one, the template process's command. */
  command?: string;
  memoryInMb?: number;
  diskInMb?: number;
  logRateLimit?: number;
  /** Checked against the server's maximum here. */
  timeoutSeconds?: number;
  /** A droplet of the app to run; without one, its current droplet. */
  dropletGuid?: string;
  templateProcessGuid?: string;
  /** The OS user to run as. */
  user?: string;
  metadata: MetadataChange;
  /** The task this one is a subtask of. */
  parentTaskGuid?: string;
}

/** Where the task is to be created, as the dialect found it, and the request's idempotency key if it has one. */
export interface TaskCreateTarget {
  /** An app the caller may read (the dialect's lookup answers its own "not found"). */
  found: AppInSpace;
  idempotency?: IdempotencyRequest;
}

/**
 * What a dialect hands createTask. Reading the request is the dialect's and judging the caller's
 * right the action's, in CF's order (spec §1): the feature flag before the request is read; a
 * task's own token creating only its own subtasks once the input is read, before the rest is;
 * write access, the organization's and space's state and the requested droplet once the app is found.
 */
export interface TaskCreateRequest<Answer> {
  /** The request's body as this action's input (the dialect's own validation errors). */
  input(): TaskCreateInput;
  /** The rest of the request: the app and the idempotency key. */
  target(): Promise<TaskCreateTarget>;
  /**
   * The answer to the create, rendered inside its transaction with the task's metadata: stored as
   * JSON for the idempotency key, and what a retry with the key gets back, so it must be plain JSON.
   */
  render(task: TaskRow, found: AppInSpace, metadata: PresentedMetadata): Answer;
}

/** Creates the task and answers its rendering (or, for a retried key, the first answer). */
export async function createTask<Answer>(deps: TaskCreateDeps, actor: Permissions, request: TaskCreateRequest<Answer>): Promise<Answer> {
  const { db } = deps;
  await assertFeatureEnabled(db, actor, 'task_creation');
  const input = request.input();
  // A task's own token creates only its own subtasks; that the parent is a task of this app
  // is checked with the app row locked.
  if (actor.ownTask && input.parentTaskGuid !== actor.ownTask.guid) throw notAuthorized();
  const { found, idempotency } = await request.target();
  if (!actor.canWriteSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw notAuthorized();
  assertWritable(actor, found.org, found.space);
  const droplet = input.dropletGuid === undefined ? undefined : await requestedDroplet(db, found.app, input.dropletGuid);
  return create(deps, actor, { found, input, requestedDroplet: droplet, idempotency, render: request.render });
}

/** A create whose caller has been found allowed to make it. */
interface AllowedCreate<Answer> {
  found: AppInSpace;
  input: TaskCreateInput;
  /** The droplet the request named (checked to belong to the app). */
  requestedDroplet?: DropletRow;
  idempotency?: IdempotencyRequest;
  render: TaskCreateRequest<Answer>['render'];
}

/** A droplet of the app by guid, or 404 "Droplet not found". */
async function requestedDroplet(db: Kysely<Database>, app: AppRow, guid: string): Promise<DropletRow> {
  const droplet = await db.selectFrom('droplets').selectAll().where('guid', '=', guid).where('app_id', '=', app.id).executeTakeFirst();
  if (!droplet) throw notFound('Droplet');
  return droplet;
}

async function create<Answer>(deps: TaskCreateDeps, actor: Permissions, request: AllowedCreate<Answer>, attempt = 1): Promise<Answer> {
  const { db, config } = deps;
  const { found, input, idempotency } = request;

  // A retry of an answered request is answered again before anything could have changed its fate
  // (a quota now full, a droplet replaced). The unique key below still decides races.
  if (idempotency) {
    const earlier = await earlierAnswer<Answer>(db, actor.userGuid, idempotency);
    if (earlier) return earlier;
  }

  const droplet = request.requestedDroplet ?? (await currentDroplet(db, found.app));
  if (!droplet) throw unprocessable('Task must have a droplet. Specify droplet or assign current droplet to app.');
  if (input.diskInMb !== undefined && input.diskInMb > config.maximumDiskInMb) {
    throw unprocessable(`Cannot request disk_in_mb greater than ${config.maximumDiskInMb}`);
  }
  // CF asks its backend to run the task after committing it; taskd's equivalent is whether any
  // runner is alive. Without one the task is committed FAILED (it keeps its sequence id) and the
  // request fails with 503, as CF does when Diego is unreachable.
  const runners = await liveRunners(db, config.runnerLeaseSeconds);
  const runnable = runners.alive;
  const maximumMemoryInMb = memoryMaximum(config, runners);
  // Beside the disk maximum, before the template is looked up; a template's memory is checked once found.
  if (input.memoryInMb !== undefined) checkMemoryMaximum(input.memoryInMb, maximumMemoryInMb);
  const maxTimeout = config.maximumTaskTimeoutSeconds;
  if (input.timeoutSeconds !== undefined && input.timeoutSeconds > maxTimeout) {
    throw unprocessable(`Timeout in seconds must be less than or equal to ${maxTimeout}`);
  }

  // Read before the transaction: they bound the usage read under the app's lock, and need none.
  const quotas = await quotasForSpace(db, found.space.id);

  let body: Answer;
  try {
    body = await db.transaction().execute(async (trx) => {
      // First statement: on a reused key this fails before anything else is done, and the whole
      // transaction is rolled back (PostgreSQL could not continue it anyway).
      if (idempotency && runnable) await claimKey(trx, actor.userGuid, idempotency);
      const template = input.templateProcessGuid === undefined ? undefined : await templateProcess(trx, actor, input.templateProcessGuid);
      const errors = new ModelErrors();
      const values = resolveTask(config, maximumMemoryInMb, input, template, errors);
      const state: TaskState = runnable ? 'PENDING' : 'FAILED';
      const candidate = { memory: values.memory_in_mb, logRate: values.log_rate_limit };
      if (errors.any()) {
        // Refused whatever the quotas say: their errors join the others, read as they are now, and
        // nothing is written or locked.
        await checkQuotas(trx, found, quotas, { ...candidate, counted: false }, errors);
        errors.raise();
      }
      const guid = newGuid();
      // Before the app row is locked: the event needs no lock, and the creates of one app wait for
      // each other from the insert to the commit (issue 21 item 8).
      await recordTaskEvent(trx, 'audit.app.task.create', actor, found, { guid, name: values.name, memory_in_mb: values.memory_in_mb });
      const now = nowIso();
      const task = await insertTaskInSequence(trx, deps.dialect, {
        guid,
        app_id: found.app.id,
        space_id: found.space.id,
        organization_id: found.org.id,
        ...values,
        droplet_guid: droplet.guid,
        state,
        failure_reason: runnable ? null : FAILURE.unableToRun,
        exit_status: null,
        timeout_seconds: input.timeoutSeconds ?? config.defaultTaskTimeoutSeconds ?? null,
        created_by: actor.userGuid,
        runner_id: null,
        started_at: null,
        finished_at: runnable ? null : now,
        cancel_requested_at: null,
        created_at: now,
        updated_at: now,
        parent_task_guid: input.parentTaskGuid ?? null,
      });
      // Deleted since the request found it.
      if (!task) throw notFound('App');
      if (input.parentTaskGuid !== undefined) await checkParentTask(trx, found.app, input.parentTaskGuid, deps.dialect === 'postgres');
      // With the app row locked, the usage counts every earlier create of the app, and this one.
      await checkQuotas(trx, found, quotas, { ...candidate, counted: QUOTA_STATES.includes(state) }, errors);
      errors.raise();
      await applyMetadataChange(trx, 'task', task.id, input.metadata);
      const answer = request.render(task, found, metadataOfNew(input.metadata));
      if (idempotency && runnable) await recordAnswer(trx, actor.userGuid, idempotency.key, task.id, answer);
      return answer;
    });
  } catch (err) {
    if (!(err instanceof KeyAlreadyClaimed) || !idempotency) throw err;
    const earlier = await earlierAnswer<Answer>(db, actor.userGuid, idempotency);
    if (earlier) return earlier;
    // The claim was released in between (its request rolled back): this one may go ahead.
    if (attempt < 3) return create(deps, actor, request, attempt + 1);
    throw err;
  }

  if (!runnable) throw new ApiError('TaskWorkersUnavailable', 'no runner is alive');
  deps.signals.created(found.org.id);
  return body;
}

async function currentDroplet(db: Kysely<Database>, app: AppRow): Promise<DropletRow | undefined> {
  if (app.current_droplet_id === null) return undefined;
  return db.selectFrom('droplets').selectAll().where('id', '=', app.current_droplet_id).executeTakeFirst();
}

/** States of a parent that may have subtasks created: a cancelled parent's tree is being torn down. */
const PARENT_STATES = ['RUNNING', 'PAUSING', 'PAUSED'];

/**
 * A subtask's parent must be a running task of the same app: read once the app row is locked,
 * and on PostgreSQL share-locked until commit (parentForSubtask).
 */
async function checkParentTask(trx: Transaction<Database>, app: AppRow, guid: string, lock: boolean): Promise<void> {
  const parent = await parentForSubtask(trx, guid, lock);
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
    .select([
      'droplets.process_types as droplet_process_types',
      'apps.space_id as template_space_id',
      'spaces.organization_id as template_organization_id',
    ])
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

/**
 * Applies defaults (request, else template process, else configuration) and the task model's
 * rules but the quotas, which are checked with the app row locked.
 */
function resolveTask(
  config: TaskCreateDeps['config'],
  maximumMemoryInMb: number,
  input: TaskCreateInput,
  template: TemplateProcess | undefined,
  errors: ModelErrors,
): ResolvedTask {
  const name = input.name === undefined ? randomTaskName() : input.name;
  const command = input.command ?? (template ? commandOf(template) : '');
  const user = input.user ?? template?.user ?? null;
  const memory = input.memoryInMb ?? template?.memory_in_mb ?? config.defaultMemoryInMb;
  checkMemoryMaximum(memory, maximumMemoryInMb);
  const disk = input.diskInMb ?? template?.disk_in_mb ?? config.defaultDiskInMb;
  const logRate = input.logRateLimit ?? template?.log_rate_limit ?? config.defaultLogRateLimit;

  const nameIsText = typeof name === 'string';
  // "One or more printable characters"; taskd also caps the length the database would (spec §11).
  if (!nameIsText || name === '' || /\p{Cc}/u.test(name) || name.length > 255) errors.add('name', 'is invalid');
  if (command.trim() === '') errors.add('command', 'is not present');
  if (command.length > 4096) errors.add('command', 'must be shorter than 4097 characters');
  checkUser(user, config.allowedTaskUsers, errors);
  if (nameIsText && name.trim() === '') errors.add('name', 'is not present');
  return { name: name as string, command, user, memory_in_mb: memory, disk_in_mb: disk, log_rate_limit: logRate };
}

/**
 * The most memory a task may have: the server's maximum, and, while every live runner is bounded
 * by TASKD_RUNNER_MEMORY_MB, the largest of them. A bigger task could never be placed: it is
 * refused now instead of waiting PENDING (an API node's own maximum is its host's memory, not the
 * runners'). Without a live runner the task fails as unable to run anyway.
 */
function memoryMaximum(config: Pick<Config, 'maximumMemoryInMb'>, runners: LiveRunners): number {
  return Math.min(config.maximumMemoryInMb, runners.largestMemoryMb ?? Infinity);
}

/**
 * The memory maximum holds whatever the memory came from: a process made under an earlier, larger
 * default (or a default changed at runtime) must not lend a task more than the maximum. CF checks
 * only a requested disk_in_mb against its maximum; taskd's memory maximum is a limit of the
 * sandbox, so a template cannot step around it.
 */
function checkMemoryMaximum(memory: number, maximum: number): void {
  if (memory > maximum) throw unprocessable(`Cannot request memory_in_mb greater than ${maximum}`);
}

function checkUser(user: string | null, allowed: readonly string[], errors: ModelErrors): void {
  if (user === null || user.trim() === '') return;
  const permitted = ['vcap', ...allowed];
  if (permitted.some((u) => u.toLowerCase() === user.toLowerCase())) return;
  errors.add('user', `invalid (requested user '${user}' not allowed, permitted users are: ${permitted.map((u) => `'${u}'`).join(', ')})`);
}
