// Reads of a task's stored output lines, in sequence order. The caller has already checked that
// the task is readable.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { isTerminal } from '../core/task-states.js';

export interface TaskLogLine {
  seq: number;
  time: string;
  stream: string;
  text: string;
}

/** Lines with seq above `afterSeq`, at most `limit` of them (the primary key serves the walk). */
export function listTaskLogLines(db: Kysely<Database>, taskId: number, afterSeq: number, limit: number): Promise<TaskLogLine[]> {
  return db
    .selectFrom('task_log_lines')
    .select(['seq', 'time', 'stream', 'text'])
    .where('task_id', '=', taskId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/** How a task ended, for the last event of a live log stream. */
export interface TaskEnd {
  state: string;
  failure_reason: string | null;
}

/**
 * The task's end if it has ended; null while it runs (or waits); 'gone' once its row is deleted.
 * The runner stores every output line before it records the outcome, so lines read after an
 * ended state was seen are all the lines there will ever be.
 */
export async function getTaskEnd(db: Kysely<Database>, taskId: number): Promise<TaskEnd | null | 'gone'> {
  const row = await db.selectFrom('tasks').select(['state', 'failure_reason']).where('id', '=', taskId).executeTakeFirst();
  if (!row) return 'gone';
  return isTerminal(row.state) ? { state: row.state, failure_reason: row.failure_reason } : null;
}
