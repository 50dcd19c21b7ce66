// Reads of a task's stored output lines, in sequence order. The caller has already checked that
// the task is readable.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

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
