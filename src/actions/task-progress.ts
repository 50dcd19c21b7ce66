// What a running task reports about itself with its own token (taskd extension): its progress,
// which only moves forward, and free-form messages. Only the task itself reports: a user's token,
// whatever its roles, is refused, so a task's report is always the task's own word.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { TASK_TOKEN_STATES } from '../auth/identify.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import type { Database, TaskMessageRow } from '../store/schema.js';
import { appendTaskMessage } from '../store/tasks/messages.js';
import type { TaskInApp } from '../fetchers/tasks.js';

/** A report of how far the task has come. */
export interface TaskProgressInput {
  /** 0 to 100. */
  percent: number;
  message: string | null;
}

/** A line the task says about itself. */
export interface TaskMessageInput {
  text: string;
}

const cannotReport = (state: string) => unprocessable(`Task state is ${state} and therefore cannot report progress`);

function assertOwnTask(actor: Permissions, found: TaskInApp): void {
  if (actor.ownTask?.guid !== found.task.guid) throw notAuthorized();
}

/**
 * Sets the task's progress. The guard keeps the percentage from moving backwards even when two
 * reports race; an equal percentage may change the message.
 */
export async function reportTaskProgress(db: Kysely<Database>, actor: Permissions, found: TaskInApp, input: TaskProgressInput): Promise<void> {
  assertOwnTask(actor, found);
  const updated = await db
    .updateTable('tasks')
    .set({ progress_percent: input.percent, progress_message: input.message, updated_at: nowIso() })
    .where('id', '=', found.task.id)
    .where('state', 'in', TASK_TOKEN_STATES)
    .where((eb) => eb.or([eb('progress_percent', 'is', null), eb('progress_percent', '<=', input.percent)]))
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 1) return;
  const current = await db.selectFrom('tasks').select(['state', 'progress_percent']).where('id', '=', found.task.id).executeTakeFirst();
  // Ended meanwhile (the token was checked at the start of the request).
  if (!current || !TASK_TOKEN_STATES.includes(current.state)) throw cannotReport(current?.state ?? 'unknown');
  throw unprocessable(`Percent must not move backwards (now ${current.progress_percent})`);
}

export async function postTaskMessage(db: Kysely<Database>, actor: Permissions, found: TaskInApp, input: TaskMessageInput): Promise<TaskMessageRow> {
  assertOwnTask(actor, found);
  const message = await appendTaskMessage(db, found.task.id, 'task', input.text, TASK_TOKEN_STATES);
  if (!message) {
    const current = await db.selectFrom('tasks').select('state').where('id', '=', found.task.id).executeTakeFirst();
    throw cannotReport(current?.state ?? 'unknown');
  }
  const { state: _state, ...row } = message;
  return row;
}
