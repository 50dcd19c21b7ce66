// The runner's messages about a task (texts in core/runner-messages.ts), appended without ever
// failing the task's run.
import type { Kysely } from 'kysely';
import type { Logger } from '../context.js';
import type { TaskAsAppended } from '../core/runner-messages.js';
import type { Database } from '../store/schema.js';
import { appendTaskMessage } from '../store/tasks/messages.js';

/** Appends a runner message; a failure is logged, never raised: the task's run goes on. */
export async function appendRunnerMessage(
  db: Kysely<Database>,
  log: Logger,
  taskId: number,
  text: string | ((task: TaskAsAppended) => string),
): Promise<void> {
  try {
    await appendTaskMessage(db, taskId, 'runner', text);
  } catch (err) {
    log.error({ err, taskId }, 'storing a runner message failed');
  }
}
