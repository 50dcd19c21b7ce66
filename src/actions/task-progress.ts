// What a running task reports about itself with its own token (taskd extension): its progress,
// which only moves forward, and free-form messages. Only the task itself reports: a user's token,
// whatever its roles, is refused, so a task's report is always the task's own word.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { TASK_TOKEN_STATES } from '../auth/identify.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import type { Database, TaskMessageRow } from '../store/schema.js';
import { appendTaskMessage } from '../store/tasks/messages.js';
import { currentTask, setTaskProgress } from '../store/tasks/transitions.js';
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

/** Sets the task's progress, which never moves backwards; an equal percentage may change the message. */
export async function reportTaskProgress(
  db: Kysely<Database>,
  actor: Permissions,
  found: TaskInApp,
  input: TaskProgressInput,
): Promise<void> {
  assertOwnTask(actor, found);
  if (await setTaskProgress(db, found.task.id, input, TASK_TOKEN_STATES)) return;
  const current = await currentTask(db, found.task.id);
  // Ended meanwhile (the token was checked at the start of the request).
  if (!current || !TASK_TOKEN_STATES.includes(current.state)) throw cannotReport(current?.state ?? 'unknown');
  throw unprocessable(`Percent must not move backwards (now ${current.progress_percent})`);
}

/**
 * Appends the task's own message, up to `maxMessages` (TASKD_TASK_MAX_MESSAGES) for the task,
 * taskd's own messages counted: beyond, the message is refused and the ones kept stay as they
 * are. Refused rather than dropping the oldest, because the first messages ("started", what the
 * task said as it began) are the ones a reader needs, and a task told 422 can say so in its log.
 */
export async function postTaskMessage(
  db: Kysely<Database>,
  actor: Permissions,
  found: TaskInApp,
  input: TaskMessageInput,
  maxMessages: number,
): Promise<TaskMessageRow> {
  assertOwnTask(actor, found);
  const message = await appendTaskMessage(db, found.task.id, 'task', input.text, TASK_TOKEN_STATES, maxMessages);
  if (!message) {
    const current = await currentTask(db, found.task.id);
    if (current && TASK_TOKEN_STATES.includes(current.state) && current.message_count >= maxMessages)
      throw unprocessable(`Task has reached its limit of ${maxMessages} messages`);
    throw cannotReport(current?.state ?? 'unknown');
  }
  const { state: _state, ...row } = message;
  return row;
}
