// Every write to task_messages: a task's own messages (through the API) and the runner's. A
// message's seq is the task's `message_count` after its increment.
import type { Insertable, Kysely } from 'kysely';
import type { Database, TaskMessageRow, TaskMessagesTable } from '../schema.js';
import type { TaskAsAppended } from '../../core/runner-messages.js';
import { nowIso } from '../../core/time.js';

export type MessageSource = 'task' | 'runner';

/**
 * Appends one message; undefined when the task is gone. The seq comes from an increment of the
 * task's `message_count`, whose row lock orders concurrent appends of one task (migration 004).
 * The text may be a function of the task as found. `onlyInStates` refuses the append (undefined) unless the task is in one of them.
 * `maxMessages` refuses it (undefined) once the task has that many messages, checked on the same
 * locked row, so concurrent appends never pass it.
 */
export async function appendTaskMessage(
  db: Kysely<Database>,
  taskId: number,
  source: MessageSource,
  text: string | ((task: TaskAsAppended) => string),
  onlyInStates?: readonly string[],
  maxMessages?: number,
): Promise<(TaskMessageRow & { state: string }) | undefined> {
  // Inside a caller's transaction (a lost runner's tasks end with their message), or its own.
  const append = async (trx: Kysely<Database>) => {
    let counter = trx
      .updateTable('tasks')
      .set((eb) => ({ message_count: eb('message_count', '+', 1) }))
      .where('id', '=', taskId);
    if (onlyInStates) counter = counter.where('state', 'in', onlyInStates);
    if (maxMessages !== undefined) counter = counter.where('message_count', '<', maxMessages);
    const task = await counter.returning(['message_count', 'state', 'failure_reason']).executeTakeFirst();
    if (!task) return undefined;
    const message = {
      task_id: taskId,
      seq: task.message_count,
      time: nowIso(),
      source,
      text: typeof text === 'string' ? text : text(task),
    };
    await insertCountedMessages(trx, [message]);
    return { ...message, state: task.state };
  };
  return db.isTransaction ? append(db) : db.transaction().execute(append);
}

/**
 * Stores messages whose seq the caller has already taken by incrementing their task's
 * `message_count` (in the same transaction): the runner does so in the UPDATE that records an end.
 */
export async function insertCountedMessages(trx: Kysely<Database>, messages: Insertable<TaskMessagesTable>[]): Promise<void> {
  if (messages.length) await trx.insertInto('task_messages').values(messages).execute();
}
